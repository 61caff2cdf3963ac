/**
 * How the CLI writes: results to stdout, errors to stderr, colour only on a terminal (and never with
 * NO_COLOR set, https://no-color.org, or TERM=dumb), so piped output and CI logs stay plain, unless
 * FORCE_COLOR asks for it (https://force-color.org; CI logs that render ANSI): FORCE_COLOR set to
 * anything but 0 or false turns colour on even when piped, and wins over NO_COLOR and TERM=dumb, as in
 * Node.js itself; FORCE_COLOR=0 or false turns it off.
 */
import { inspect } from 'node:util';

type Style = 'red' | 'green' | 'yellow' | 'bold' | 'dim';

export interface Styler {
  (style: Style, text: string): string;
}

export function colourEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !['0', 'false'].includes(force.toLowerCase());
  return stream.isTTY === true && (env.NO_COLOR ?? '') === '' && env.TERM !== 'dumb';
}

export function styler(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Styler {
  const enabled = colourEnabled(stream, env);
  // ANSI codes written directly: util.styleText checks the stream itself on newer Node.js versions and
  // would drop colour that FORCE_COLOR asked for.
  return (style, text) => {
    if (!enabled) return text;
    const [open, close] = inspect.colors[style] ?? [0, 0];
    return `\u001b[${open}m${text}\u001b[${close}m`;
  };
}

export const out = (text: string): void =>
  void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
export const err = (text: string): void =>
  void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);

/** Bad input or usage: exit 2, with a message that names what is wrong and the fix. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Conventional exit codes: 0 ok, 1 findings (denied, invalid fleet, missing tools), 2 usage or bad input. */
export const EXIT = { ok: 0, findings: 1, usage: 2 } as const;

/**
 * How the CLI writes: results to stdout, errors to stderr, colour only on a terminal (and never with
 * NO_COLOR set, https://no-color.org, or TERM=dumb), so piped output and CI logs stay plain.
 */
import { styleText } from 'node:util';

type Style = 'red' | 'green' | 'yellow' | 'bold' | 'dim';

export interface Styler {
  (style: Style, text: string): string;
}

export function styler(stream: NodeJS.WriteStream): Styler {
  const enabled = stream.isTTY === true && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb';
  return (style, text) => (enabled ? styleText(style, text) : text);
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

/**
 * Fleet errors: one per problem, each with the YAML path, the bad value and what is allowed, e.g.
 * `spec.agents[2].phase: "autonmous" is not one of shadow, advisory, supervised, autonomous`.
 */
import { z } from 'zod';
import { closest } from '../text-distance';

export { closest };

export type PathSegment = string | number;

export interface FleetError {
  /** Dotted YAML path, e.g. `spec.agents[2].phase`. */
  readonly path: string;
  readonly message: string;
  /** 1-based position in the source file, when the fleet came from YAML. */
  readonly line?: number;
  readonly column?: number;
}

/** Maps a YAML path to its position in the source file, when there is a source. */
export type Locate = (path: readonly PathSegment[]) => { line: number; column: number } | undefined;

/** An error found by a rule, before it is given a position. */
export interface RuleError {
  readonly path: PathSegment[];
  readonly message: string;
}

/**
 * Rule errors as reported: deduplicated, positioned through `locate`, and in reading order when the
 * input came from a file (Array.sort is stable, so ties keep rule order).
 */
export function toFleetErrors(found: readonly RuleError[], locate: Locate = () => undefined): FleetError[] {
  const seen = new Set<string>();
  const errors: FleetError[] = [];
  for (const { path, message } of found) {
    const key = `${formatPath(path)}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    errors.push({ path: formatPath(path), message, ...locate(path) });
  }
  errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return errors;
}

/** Thrown when a fleet does not validate; carries every error, not just the first. */
export class FleetValidationError extends Error {
  constructor(
    readonly errors: readonly FleetError[],
    readonly source?: string,
    /** What went wrong as a whole, after the source name. */
    summary = 'is invalid',
  ) {
    super(
      `${source ?? 'fleet'} ${summary} (${errors.length} error${errors.length === 1 ? '' : 's'}):\n` +
        errors.map((e) => `  ${formatFleetError(e, source)}`).join('\n'),
    );
    this.name = 'FleetValidationError';
  }
}

export function formatFleetError(error: FleetError, source?: string): string {
  const where = source && error.line ? `${source}:${error.line}:${error.column ?? 1}: ` : '';
  return `${where}${error.path}: ${error.message}`;
}

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? '(root)' : out;
}

/** A value as it appears in a message: strings quoted, structures named rather than dumped. */
export function renderValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
};

/**
 * Turns zod issues into fleet errors. `knownKeys` lists the keys allowed at a path, for "did you
 * mean"; `explain` may give a domain-specific message for a bad value.
 */
export function issuesToErrors(
  issues: readonly z.core.$ZodIssue[],
  knownKeys: (path: readonly PathSegment[]) => readonly string[],
  explain: (input: unknown) => string | undefined = () => undefined,
): Array<{ path: PathSegment[]; message: string }> {
  const out: Array<{ path: PathSegment[]; message: string }> = [];
  for (const issue of issues) {
    const path = issue.path as PathSegment[];
    const input = (issue as { input?: unknown }).input;
    const explained = issue.code === 'invalid_value' ? explain(input) : undefined;
    if (explained !== undefined) {
      out.push({ path, message: `${renderValue(input)} ${explained}` });
      continue;
    }
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = knownKeys(path);
        for (const key of issue.keys) {
          const guess = closest(key, allowed);
          const hint = guess ? `did you mean "${guess}"?` : `allowed keys: ${allowed.join(', ')}`;
          out.push({ path: [...path, key], message: `unknown key; ${hint}` });
        }
        break;
      }
      case 'invalid_type':
        out.push({
          path,
          message:
            input === undefined
              ? `is required (${TYPE_NAMES[issue.expected] ?? issue.expected})`
              : `${renderValue(input)} is not ${TYPE_NAMES[issue.expected] ?? issue.expected}`,
        });
        break;
      case 'invalid_value':
        out.push({
          path,
          message:
            issue.values.length === 1
              ? `${renderValue(input)} must be ${renderValue(issue.values[0])}`
              : `${renderValue(input)} is not one of ${issue.values.map(String).join(', ')}`,
        });
        break;
      case 'too_small':
        out.push({ path, message: tooSmall(issue, input) });
        break;
      case 'too_big':
        out.push({
          path,
          message:
            issue.origin === 'string'
              ? `${renderValue(input)} is longer than ${issue.maximum} characters`
              : issue.origin === 'array'
                ? `has more than ${issue.maximum} items`
                : `${renderValue(input)} is above the maximum ${issue.maximum}`,
        });
        break;
      default:
        // Refinements over a whole mapping speak for themselves; a bad scalar is quoted first.
        out.push({
          path,
          message:
            input !== null && typeof input === 'object'
              ? issue.message
              : `${renderValue(input)} ${issue.message}`,
        });
    }
  }
  return out;
}

function tooSmall(issue: z.core.$ZodIssueTooSmall, input: unknown): string {
  if (issue.origin === 'array')
    return `must list at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}`;
  if (issue.origin === 'string') return 'must not be empty';
  return `${renderValue(input)} is below the minimum ${issue.minimum}`;
}

/**
 * A fleet or lock file that is not valid YAML: bad input like an unreadable file (the CLI exits 2),
 * not an invalid fleet. A FleetValidationError still, so callers that catch those keep working.
 */
export class FleetSyntaxError extends FleetValidationError {
  constructor(errors: readonly FleetError[], source?: string) {
    super(errors, source, 'is not valid YAML');
    this.name = 'FleetSyntaxError';
  }
}

/**
 * A fleet or lock file that cannot be read at all (missing, a folder, no permission). Bad input, not
 * an invalid fleet: the CLI exits 2 for it, 1 for a FleetValidationError, so CI can tell a wrong path
 * from a rejected change.
 */
export class UnreadableFileError extends Error {
  constructor(
    readonly file: string,
    readonly code: string | undefined,
    detail: string,
  ) {
    super(
      code === 'ENOENT'
        ? `${file}: no such file; check the path`
        : `${file}: cannot read (${detail}); check the path and its permissions`,
    );
    this.name = 'UnreadableFileError';
  }
}

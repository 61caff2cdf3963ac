/**
 * Quoting for generated shell scripts. Everything a script embeds goes through `shellQuote`, so no
 * value from the fleet is ever parsed by the shell as code.
 */

/**
 * One POSIX shell word holding exactly `value`: single quotes keep every byte literal (`$`, backticks,
 * `\`, newlines), and a single quote inside is closed, escaped and reopened (`'\''`). NUL cannot be
 * held by any shell word, so it is refused.
 */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('shellQuote: a shell word cannot hold a NUL character');
  // Plain words stay readable; `=` is left out so a word can never turn into an assignment.
  if (/^[A-Za-z0-9_@%+:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

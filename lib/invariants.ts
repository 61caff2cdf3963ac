/**
 * Citing an invariant where a person reads it (a terminal error, a SARIF rule, a JUnit failure): its
 * ID and where docs/design.md explains it, so "(I2)" is never a dead end. docs/design.md marks each
 * invariant with an explicit anchor (`<a id="i2"></a>`), stable when a heading is reworded;
 * test/docs.test.ts checks that every anchor cited here exists.
 */

/** The design document, relative to the repository and to the installed package (it ships `docs`). */
export const DESIGN_DOC = 'docs/design.md';

export const INVARIANT_IDS = ['I1', 'I2', 'I3', 'I4', 'I5', 'I6', 'I7', 'I8'] as const;
export type InvariantId = (typeof INVARIANT_IDS)[number];

/** `docs/design.md#i2`. Throws on an ID that is not an invariant, so no message cites a missing one. */
export function invariantLink(id: string): string {
  if (!(INVARIANT_IDS as readonly string[]).includes(id)) {
    throw new Error(`"${id}" is not an invariant; known: ${INVARIANT_IDS.join(', ')}`);
  }
  return `${DESIGN_DOC}#${id.toLowerCase()}`;
}

/**
 * `I2, see docs/design.md#i2`; several: `I1, I2, see docs/design.md#i1 and #i2`. Takes plain strings
 * for IDs read from data (a template's annotation); invariantLink refuses any that is not one.
 */
export function invariantRef(...ids: readonly string[]): string {
  const [first, ...rest] = ids.map(invariantLink);
  return `${ids.join(', ')}, see ${[first, ...rest.map((link) => link.slice(DESIGN_DOC.length))].join(' and ')}`;
}

/** The parenthesised citation messages end with: `(I2, see docs/design.md#i2)`. */
export const cite = (...ids: InvariantId[]): string => `(${invariantRef(...ids)})`;

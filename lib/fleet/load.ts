/** Reading a fleet file: YAML syntax errors and validation errors, each with its line. */
import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { FleetValidationError, type PathSegment } from './errors';
import type { Fleet } from './schema';
import { validateFleet, type ValidationResult } from './validate';

/** Parses and validates fleet YAML. */
export function parseFleet(text: string): ValidationResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { path: '(yaml)', message: e.message.split('\n')[0], line: pos.line, column: pos.col };
      }),
    };
  }
  const locate = (path: readonly PathSegment[]) => {
    const node = nodeAt(doc.contents, path);
    if (!node?.range) return undefined;
    const pos = lineCounter.linePos(node.range[0]);
    return { line: pos.line, column: pos.col };
  };
  return validateFleet(doc.toJS({ maxAliasCount: 100 }), locate);
}

/** Reads, parses and validates a fleet file; throws FleetValidationError with every error. */
export function loadFleetFile(file: string): Fleet {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new FleetValidationError(
      [{ path: '(file)', message: `cannot read: ${(err as Error).message}` }],
      file,
    );
  }
  const result = parseFleet(text);
  if (!result.ok) throw new FleetValidationError(result.errors, file);
  return result.fleet;
}

/** The YAML node at a path, or the nearest existing ancestor (a missing key points at its parent). */
function nodeAt(root: unknown, path: readonly PathSegment[]): Node | undefined {
  let node = root as Node | undefined;
  for (const [index, seg] of path.entries()) {
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === seg);
      // The last segment points at its key: unknown keys and bad values are both reported there.
      next = pair && (index === path.length - 1 ? pair.key : pair.value);
    } else if (isSeq(node) && typeof seg === 'number') {
      next = node.items[seg];
    }
    if (next === undefined) return node;
    node = next as Node;
  }
  return node;
}

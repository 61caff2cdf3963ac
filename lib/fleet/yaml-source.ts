/**
 * YAML sources with positions: one place that turns a file into data plus a `locate` function, so
 * the fleet file and the promotion lock report errors the same way (file:line:col, YAML path).
 */
import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { UnreadableFileError, type FleetError, type Locate, type PathSegment } from './errors';

export type YamlSource = { ok: true; data: unknown; locate: Locate } | { ok: false; errors: FleetError[] };

/** Parses YAML, rejecting duplicate keys; syntax errors come back with their position. */
export function parseYamlSource(text: string): YamlSource {
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
  const locate: Locate = (path) => {
    const node = nodeAt(doc.contents, path);
    if (!node?.range) return undefined;
    const pos = lineCounter.linePos(node.range[0]);
    return { line: pos.line, column: pos.col };
  };
  return { ok: true, data: doc.toJS({ maxAliasCount: 100 }), locate };
}

/** Reads a text file; an unreadable file is reported like any other error of that file. */
export function readSourceFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UnreadableFileError(file, (err as NodeJS.ErrnoException).code, (err as Error).message);
  }
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

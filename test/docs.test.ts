/**
 * The documentation stays inside the repository: every relative link in the README, the changelog and
 * docs/ names a file of the repository (none outside it, as `../shared/DESIGN.md` once was), and every
 * invariant link lands on an anchor of docs/design.md.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from '../tools/toolchain';

const DOCS = [
  'README.md',
  'CHANGELOG.md',
  ...readdirSync(join(REPO_ROOT, 'docs')).map((f) => join('docs', f)),
];
const LINK = /\]\(([^)\s]+)\)/g;

const links = (doc: string): string[] =>
  [...readFileSync(join(REPO_ROOT, doc), 'utf8').matchAll(LINK)]
    .map((m) => m[1])
    .filter((target) => !/^[a-z]+:/.test(target));

test.each(DOCS)('%s links only to files of the repository', (doc) => {
  for (const target of links(doc)) {
    const [path] = target.split('#');
    if (path === '') continue;
    const file = resolve(REPO_ROOT, dirname(doc), path);
    expect({ target, inside: !relative(REPO_ROOT, file).startsWith('..') }).toEqual({ target, inside: true });
    expect({ target, exists: existsSync(file) }).toEqual({ target, exists: true });
  }
});

test('every invariant link points at an anchor of docs/design.md, which has I1 to I8', () => {
  const design = readFileSync(join(REPO_ROOT, 'docs', 'design.md'), 'utf8');
  const anchors = new Set([...design.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]));
  expect([...anchors].sort()).toEqual(['i1', 'i2', 'i3', 'i4', 'i5', 'i6', 'i7', 'i8']);
  for (const doc of DOCS) {
    for (const target of links(doc)) {
      const [path, anchor] = target.split('#');
      if (anchor === undefined || !path.endsWith('design.md')) continue;
      expect({ doc, target, found: anchors.has(anchor) }).toEqual({ doc, target, found: true });
    }
  }
});

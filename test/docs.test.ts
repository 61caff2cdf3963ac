/**
 * The documentation stays inside the repository: every relative link in the README, the changelog and
 * docs/ names a file of the repository (none outside it, as `../shared/DESIGN.md` once was), and every
 * invariant link lands on an anchor of docs/design.md, as does every invariant the code cites in a
 * message (lib/invariants.ts).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { cite, DESIGN_DOC, INVARIANT_IDS, invariantLink } from '../lib/invariants';
import { policyCatalog } from '../policies/catalog';
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

describe('invariants cited outside the docs land on an anchor of docs/design.md', () => {
  const design = readFileSync(join(REPO_ROOT, DESIGN_DOC), 'utf8');
  const anchors = new Set([...design.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]));
  const anchorOf = (link: string) => {
    const [path, anchor] = link.split('#');
    expect(path).toBe(DESIGN_DOC);
    return anchor;
  };

  it('every invariant ID, and every invariant a policy of the pack names (SARIF, JUnit, check)', () => {
    for (const id of [...INVARIANT_IDS, ...policyCatalog().map((p) => p.invariant)]) {
      expect({ id, found: anchors.has(anchorOf(invariantLink(id))) }).toEqual({ id, found: true });
    }
    expect(cite('I1', 'I2')).toBe('(I1, I2, see docs/design.md#i1 and #i2)');
    expect(() => invariantLink('I9')).toThrow('"I9" is not an invariant');
  });

  it('no message in the sources cites an invariant without its link', () => {
    // A bare "(I2)" in a string a person reads on a terminal. Comments are not messages, nor are:
    const notMessages = new Set([
      'lib/fleet/schema.ts', // the JSON Schema's descriptions, which editors show beside each field
      'lib/fleet/lock.ts', // the lock file's header, committed beside the fleet
    ]);
    const bare = /\(I[1-8](\/I[1-8])*\)/;
    const offenders: string[] = [];
    const walk = (dir: string): string[] =>
      readdirSync(join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
      );
    for (const file of ['lib', 'cli', 'constructs', 'policies', 'synth'].flatMap(walk)) {
      if (notMessages.has(file)) continue;
      readFileSync(join(REPO_ROOT, file), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const code = line.trim();
          if (/^(\/\/|\*|\/\*)/.test(code)) return;
          if (bare.test(code)) offenders.push(`${file}:${i + 1}: ${code}`);
        });
    }
    expect(offenders).toEqual([]);
  });
});

/**
 * The command line's conventions: standard input and folders for `check`, SARIF and JUnit output
 * with the file and line of every object, `--as` typos, `report --diff --exit-code`, FORCE_COLOR and
 * NO_COLOR, and YAML syntax errors in the fleet as bad input (exit 2).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Log } from 'sarif';
import { junitReport, xml } from '../../cli/check-formats';
import { colourEnabled } from '../../cli/output';
import type { CheckResult } from '../../policies/check';
import { agentguard, EXAMPLE_FLEET } from '../support/cli';

const work = mkdtempSync(join(tmpdir(), 'agentguard-conventions-'));
const write = (path: string, text: string) => {
  const full = join(work, path);
  mkdirSync(join(full, '..'), { recursive: true });
  writeFileSync(full, text);
  return full;
};

const CONFIGMAP = (name: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}, namespace: shop }\ndata: { a: b }\n`;
/** Not hardened, in an agent namespace: AG701 denies it whoever sends it. */
const POD =
  'apiVersion: v1\nkind: Pod\nmetadata: { name: probe, namespace: agents-release }\nspec: { containers: [{ name: c, image: busybox }] }\n';
/** Two documents: a ConfigMap on line 2 (after a comment), the Pod on line 9 (after `---`, a comment and a blank line). */
const MIXED = `# a comment\n${CONFIGMAP('web')}---\n# the pod\n\n${POD}`;

const check = (args: string[], input?: string) =>
  agentguard(['check', '--fleet', EXAMPLE_FLEET, ...args], {}, work, input);
const jsonLines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { file: string; document: number; line: number; allowed: boolean });

describe('check input', () => {
  it('reads standard input for -', () => {
    const run = check(['-o', 'json', '-'], MIXED);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(1);
    expect(
      jsonLines(run.stdout).map(({ file, document, line, allowed }) => [file, document, line, allowed]),
    ).toEqual([
      ['stdin', 1, 2, true],
      ['stdin', 2, 9, false],
    ]);
  });

  it('reads a folder as kubeconform does: *.yaml, *.yml and *.json below it, sorted by path', () => {
    const dir = join(work, 'manifests');
    write('manifests/b.yaml', CONFIGMAP('b'));
    write('manifests/a.yml', CONFIGMAP('a'));
    write(
      'manifests/c.json',
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop' } }),
    );
    write('manifests/sub/d.yaml', CONFIGMAP('d'));
    write('manifests/notes.txt', 'not a manifest');
    const run = check(['-o', 'json', dir]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(jsonLines(run.stdout).map((r) => r.file)).toEqual(
      ['a.yml', 'b.yaml', 'c.json', join('sub', 'd.yaml')].map((f) => join(dir, f)),
    );
  });

  it('exits 2 for a folder without manifests, and for - given twice', () => {
    mkdirSync(join(work, 'empty'), { recursive: true });
    const empty = check([join(work, 'empty')]);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('a folder without *.yaml, *.yml or *.json files');
    expect(check(['-', '-'], MIXED).status).toBe(2);
  });
});

describe('check --output sarif', () => {
  it('gives one SARIF 2.1.0 result per finding at the file and line of its object', () => {
    write('mixed.yaml', MIXED);
    const run = check(['-o', 'sarif', 'mixed.yaml']);
    expect(run.status).toBe(1);
    const log = JSON.parse(run.stdout) as Log;
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    const [sarifRun] = log.runs;
    const rules = sarifRun.tool.driver.rules ?? [];
    expect(rules.map((r) => r.id)).toEqual([
      'AG101',
      'AG102',
      'AG201',
      'AG202',
      'AG301',
      'AG401',
      'AG501',
      'AG601',
      'AG701',
    ]);
    const results = sarifRun.results ?? [];
    expect(results.length).toBeGreaterThan(0);
    for (const result of results) {
      expect(result).toMatchObject({ ruleId: 'AG701', level: 'error' });
      expect(rules[result.ruleIndex ?? -1].id).toBe(result.ruleId);
      expect(result.message.text).toMatch(/^Pod agents-release\/probe \(document 2\): \[AG701\]/);
      expect(result.locations?.[0].physicalLocation).toEqual({
        artifactLocation: { uri: 'mixed.yaml' },
        region: { startLine: 9 },
      });
    }
  });

  it('paths are relative to the working directory, with /', () => {
    const file = write('nested/deep/pod.yaml', POD);
    const log = JSON.parse(check(['-o', 'sarif', file]).stdout) as Log;
    expect(log.runs[0].results?.[0].locations?.[0].physicalLocation?.artifactLocation?.uri).toBe(
      'nested/deep/pod.yaml',
    );
  });
});

describe('check --output junit', () => {
  it('gives a test suite per file and a failed test case per denied object, with file and line', () => {
    write('mixed.yaml', MIXED);
    write('ok.yaml', CONFIGMAP('fine'));
    const run = check(['-o', 'junit', 'mixed.yaml', 'ok.yaml']);
    expect(run.status).toBe(1);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('<?xml version="1.0" encoding="UTF-8"?>');
    expect(lines[1]).toBe('<testsuites name="agentguard check" tests="3" failures="1" errors="0">');
    expect(run.stdout).toContain(
      '<testsuite name="mixed.yaml" tests="2" failures="1" errors="0" skipped="0">',
    );
    expect(run.stdout).toContain(
      '<testcase name="ConfigMap shop/web (document 1)" classname="mixed.yaml" file="mixed.yaml" line="2"/>',
    );
    expect(run.stdout).toContain(
      '<testcase name="Pod agents-release/probe (document 2)" classname="mixed.yaml" file="mixed.yaml" line="9">',
    );
    expect(run.stdout).toMatch(
      /<failure type="AG701" message="denied: \d+ violations \(AG701\)">\[AG701\] pods agents-release\/probe/,
    );
    expect(run.stdout).toContain('<testsuite name="ok.yaml" tests="1" failures="0" errors="0" skipped="0">');
    expect(lines.at(-2)).toBe('</testsuites>'); // and a final newline
    // Balanced elements: every opened suite and case is closed.
    expect(run.stdout.match(/<testsuite /g)?.length).toBe(run.stdout.match(/<\/testsuite>/g)?.length);
  });

  it('escapes what XML cannot carry as text', () => {
    expect(xml(`a<b>&"c'\u0007`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    const result: CheckResult = {
      file: 'x&y.yaml',
      document: 1,
      line: 3,
      object: { kind: 'ConfigMap', namespace: 'n', name: '<x>' },
      allowed: true,
      violations: [],
      warnings: [{ policy: 'AG301', action: 'warn', message: '[AG301] "quoted" & <tagged>' }],
      dryrun: [],
    };
    expect(junitReport([result])).toContain(
      '<testcase name="ConfigMap n/&lt;x&gt; (document 1)" classname="x&amp;y.yaml" file="x&amp;y.yaml" line="3">\n      <system-out>warn: [AG301] &quot;quoted&quot; &amp; &lt;tagged&gt;</system-out>',
    );
  });
});

describe('check --as', () => {
  it('exits 2 for a word that is neither an agent nor a username, suggesting the nearest agent', () => {
    write('cm.yaml', CONFIGMAP('x'));
    const run = check(['--as', 'relase-bot', 'cm.yaml']);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      '--as relase-bot: not an agent of fleet shop-platform and not a username; did you mean "release-bot"?',
    );
  });

  it('takes agent names and usernames with @ or :', () => {
    write('cm.yaml', CONFIGMAP('x'));
    for (const as of ['alice@example.com', 'system:serviceaccount:shop:web', 'oidc:alice']) {
      expect(check(['--as', as, 'cm.yaml']).status).toBe(0);
    }
    expect(check(['--as', 'release-bot', 'cm.yaml']).status).toBe(1); // no attribution: AG301
  });
});

describe('report --diff --exit-code', () => {
  const EXAMPLE = readFileSync(EXAMPLE_FLEET, 'utf8');
  const report = (newer: string, older: string) =>
    agentguard(['report', '--fleet', newer, '--diff', older, '--exit-code']);

  it("exits 1 when an agent's reach grew, naming why on stderr", () => {
    const wider = write(
      'wider.yaml',
      EXAMPLE.replace(
        '        - cidr: 10.40.0.0/16\n          ports: [443]\n',
        '        - cidr: 10.40.0.0/16\n          ports: [443]\n        - cidr: 0.0.0.0/0\n          ports: [443]\n',
      ),
    );
    const run = report(wider, EXAMPLE_FLEET);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('agentguard: reach of release-bot grew: Egress: 1 row(s) added\n');
    expect(run.stdout).toContain('| added | CIDR 0.0.0.0/0 | TCP/443 | agentguard-allow-egress |');
    // The same change the other way narrows reach: exit 0.
    expect(report(EXAMPLE_FLEET, wider)).toMatchObject({ status: 0, stderr: '' });
  });

  it('counts a higher replica cap (an admission guard changed) and exits 0 with no change', () => {
    const higher = write('higher.yaml', EXAMPLE.replace('maxReplicas: 6', 'maxReplicas: 8'));
    expect(report(higher, EXAMPLE_FLEET).stderr).toContain(
      'reach of release-bot grew: Admission (Gatekeeper pack): AG401 removed or changed',
    );
    expect(report(EXAMPLE_FLEET, EXAMPLE_FLEET)).toMatchObject({ status: 0, stderr: '' });
  });

  it('without --exit-code the diff exits 0 whatever it shows; --exit-code alone is a usage error', () => {
    const wider = write('wider2.yaml', EXAMPLE.replace('maxReplicas: 6', 'maxReplicas: 8'));
    expect(agentguard(['report', '--fleet', wider, '--diff', EXAMPLE_FLEET]).status).toBe(0);
    const alone = agentguard(['report', '--exit-code']);
    expect(alone.status).toBe(2);
    expect(alone.stderr).toContain('--exit-code needs --diff');
  });
});

describe('colour', () => {
  it('follows FORCE_COLOR, NO_COLOR, TERM=dumb and the terminal', () => {
    const tty = { isTTY: true };
    const pipe = { isTTY: false };
    expect(colourEnabled(tty, {})).toBe(true);
    expect(colourEnabled(pipe, {})).toBe(false);
    expect(colourEnabled(tty, { NO_COLOR: '1' })).toBe(false);
    expect(colourEnabled(tty, { NO_COLOR: '' })).toBe(true); // no-color.org: set and not empty
    expect(colourEnabled(tty, { TERM: 'dumb' })).toBe(false);
    expect(colourEnabled(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(colourEnabled(pipe, { FORCE_COLOR: '' })).toBe(true);
    expect(colourEnabled(pipe, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(true);
    expect(colourEnabled(tty, { FORCE_COLOR: '0' })).toBe(false);
    expect(colourEnabled(tty, { FORCE_COLOR: 'false' })).toBe(false);
  });

  it('FORCE_COLOR colours piped output; without it output stays plain', () => {
    write('pod.yaml', POD);
    const forced = agentguard(['check', '--fleet', EXAMPLE_FLEET, 'pod.yaml'], { FORCE_COLOR: '1' }, work);
    expect(forced.stdout).toContain('\u001b[31mdenied \u001b[39m');
    const plain = agentguard(
      ['check', '--fleet', EXAMPLE_FLEET, 'pod.yaml'],
      { FORCE_COLOR: '', NO_COLOR: '1' },
      work,
    );
    expect(plain.stdout).toContain('\u001b[31m'); // FORCE_COLOR wins, even empty
    const none = agentguard(['check', '--fleet', EXAMPLE_FLEET, 'pod.yaml'], { NO_COLOR: '1' }, work);
    expect(none.stdout).not.toContain('\u001b[');
  });
});

describe('a fleet file that is not valid YAML', () => {
  const broken = () =>
    write('broken.yaml', 'apiVersion: agentguard.dev/v1alpha1\nkind: AgentFleet\nmetadata: { name: x\n');

  it.each([
    ['check', ['check', '--fleet', 'FLEET', 'cm.yaml']],
    ['report', ['report', '--fleet', 'FLEET']],
    ['synth', ['synth', '--fleet', 'FLEET', '--out', 'out-broken']],
  ])('%s exits 2 with its position, as for an unreadable file', (_, args) => {
    const fleet = broken();
    write('cm.yaml', CONFIGMAP('x'));
    const run = agentguard(
      args.map((a) => (a === 'FLEET' ? fleet : a)),
      {},
      work,
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(
      new RegExp(
        `${fleet.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid YAML \\(1 error\\):\\n  \\S+:\\d+:\\d+: \\(yaml\\)`,
      ),
    );
  });
});

describe('invariants in check output point to docs/design.md', () => {
  // The Pod: AG701 (I7) denies it.
  const anchor = 'AG701 enforces I7, see docs/design.md#i7';

  it('the text report ends with the invariant of each policy that fired', () => {
    write('pod.yaml', POD);
    const run = check(['pod.yaml']);
    expect(run.status).toBe(1);
    expect(run.stdout.trimEnd().split('\n').slice(-1)).toEqual([anchor]);
  });

  it('JUnit failures end with it; SARIF rule help links each rule to its invariant', () => {
    write('pod.yaml', POD);
    expect(check(['-o', 'junit', 'pod.yaml']).stdout).toMatch(new RegExp(`${anchor}</failure>`));
    const log = JSON.parse(check(['-o', 'sarif', 'pod.yaml']).stdout) as Log;
    for (const rule of log.runs[0].tool.driver.rules ?? []) {
      expect(rule.help?.text).toMatch(/ Invariant I[1-8]: see docs\/design\.md#i[1-8]\.$/);
    }
  });

  it('a fleet error cites the invariant with its anchor', () => {
    const fleet = write(
      'fleet.yaml',
      readFileSync(EXAMPLE_FLEET, 'utf8').replace(
        'kinds: [Deployment, ConfigMap]',
        'kinds: [Deployment, ConfigMap, Secret]',
      ),
    );
    const run = agentguard(['synth', '--fleet', fleet, '--out', join(work, 'out')], {}, work);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'is a guardrail kind that no agent may be given (I2, see docs/design.md#i2)',
    );
  });
});

/**
 * The report's Mermaid diagrams, parsed by the real Mermaid parser (in a child process, see
 * test/support/mermaid-parse.mjs): every example agent's, and ones built from hostile names. And what
 * they draw: what the agent can effectively do, RBAC after admission, by layer.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFleetFile } from '../../lib/fleet/load';
import { LAYERS, mermaid } from '../../synth/report/mermaid';
import type { AgentReach } from '../../synth/report/model';
import { fleetReach } from '../../synth/report/reach';
import { EXAMPLE_FLEET } from '../support/cli';

const PARSER = join(__dirname, '..', 'support', 'mermaid-parse.mjs');

/** Parses diagrams with mermaid.parse in one child process. */
function parse(diagrams: readonly string[]): Array<{ ok: boolean; type?: string; error?: string }> {
  const run = spawnSync(process.execPath, [PARSER], { input: JSON.stringify(diagrams), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`mermaid-parse.mjs failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout);
}

const reaches = fleetReach(loadFleetFile(EXAMPLE_FLEET));
const diagramOf = (name: string, from: readonly AgentReach[] = reaches): string => {
  const found = from.find((r) => r.name === name);
  if (!found) throw new Error(`no agent ${name}`);
  return mermaid(found);
};
/** Edges into a namespace node of the Kubernetes layer: [arrow, label]. */
const namespaceEdges = (diagram: string): Array<[string, string]> =>
  [...diagram.matchAll(/^ {2}agent (-->|-\.->)\|"([^"]*)"\| k8s\d+$/gm)].map((m) => [m[1], m[2]]);

const HOSTILE = [
  'say "hi"',
  "it's",
  'a#b #quot; #35;',
  '<script>alert(1)</script>',
  '`code` and ``more``',
  'ünïcødé ✓ ∩ 名前',
  'end',
  'subgraph',
  'flowchart LR',
  '-->|x| y',
  '[brackets] (parens) {braces}',
  'a|b',
  'line\nbreak',
  'semi; colon: %% comment',
  'click agent call alert()',
  'style agent fill:#f00',
];

function hostileReach(text: string, i: number): AgentReach {
  return {
    name: text,
    namespace: text,
    username: `system:serviceaccount:${text}:${text}`,
    phase: text,
    killSwitch: i % 2 === 0 ? 'armed' : 'engaged',
    access: [
      { namespace: text, apiGroup: text, resources: [text], verbs: ['get', text], bound: i % 2 === 0 },
    ],
    effective:
      i % 2 === 0
        ? [
            { namespace: text, mode: 'allowed', verbs: ['get', text], resources: [text], notBlockedBy: [] },
            {
              namespace: text,
              mode: 'dry-run only',
              verbs: ['update'],
              resources: [text, 'deployments.apps'],
              notBlockedBy: [text],
            },
          ]
        : [],
    admission: [],
    pods: [
      { namespace: text, serviceAccounts: [text], secrets: [text], volumes: [text], registries: [text] },
    ],
    egress: [{ destination: text, ports: text, policy: text }],
    vault: {
      paths: [{ path: text, capabilities: [text] }],
      ttl: '1h',
      maxTtl: '4h',
      login: i % 2 === 0 ? text : undefined,
    },
  };
}

describe('Mermaid diagrams parse with the real Mermaid parser', () => {
  it("every example agent's diagram", () => {
    const diagrams = reaches.map((r) => mermaid(r));
    expect(diagrams.length).toBeGreaterThanOrEqual(5);
    expect(parse(diagrams)).toEqual(diagrams.map(() => ({ ok: true, type: 'flowchart-v2' })));
  });

  it('diagrams built from hostile names: quotes, #, <>, backquotes, unicode, keywords', () => {
    const diagrams = HOSTILE.map(hostileReach).map((r) => mermaid(r));
    const results = parse(diagrams);
    results.forEach((result, i) =>
      expect({ name: HOSTILE[i], ...result }).toEqual({
        name: HOSTILE[i],
        ok: true,
        type: 'flowchart-v2',
      }),
    );
  });

  it('the parser does reject a broken diagram (the check is not vacuous)', () => {
    const [broken] = parse(['flowchart LR\n  agent["unterminated]\n  agent --> x']);
    expect(broken.ok).toBe(false);
  });
});

describe('the diagram draws effective access, by layer', () => {
  it('one subgraph per layer: Kubernetes, network, Vault', () => {
    for (const r of reaches) {
      const subgraphs = [...mermaid(r).matchAll(/^ {2}subgraph (\w+)\["([^"]*)"\]$/gm)].map((m) => [
        m[1],
        m[2],
      ]);
      expect(subgraphs).toEqual(Object.entries(LAYERS));
    }
  });

  it('advisory incident-triage: reads, and update/patch only as dry-run, with kinds', () => {
    const edges = namespaceEdges(diagramOf('incident-triage'));
    expect(edges).toEqual([
      ['-->', 'get list watch<br/>configmaps, deployments.apps'],
      ['-.->', 'dry-run only: update patch<br/>configmaps, deployments.apps, deployments.apps/scale'],
    ]);
    // Nothing solid writes: the dry-run edge is the only one naming update.
    for (const [arrow, text] of edges) if (/\bupdate\b/.test(text)) expect(arrow).toBe('-.->');
    // It writes no pods for real, so the AG202 pod reach is not drawn.
    expect(diagramOf('incident-triage')).not.toContain('writes pods');
  });

  it('supervised release-bot: update drawn solid in shop; it writes pods there', () => {
    const diagram = diagramOf('release-bot');
    const solid = namespaceEdges(diagram).filter(([arrow]) => arrow === '-->');
    expect(solid.some(([, text]) => /\bupdate\b/.test(text) && text.includes('deployments.apps'))).toBe(true);
    expect(diagram).toContain('  agent -->|"writes pods"| pods0');
  });

  it('autonomous batch-scaler: delete of jobs only, as the fleet names it', () => {
    const edges = namespaceEdges(diagramOf('batch-scaler'));
    const deleting = edges.filter(([, text]) => /\bdelete\b/.test(text));
    expect(deleting).toEqual([['-->', 'get list watch create update patch delete<br/>jobs.batch']]);
  });

  it('engaged kill switch (capacity-report): nothing in Kubernetes, no egress, nothing solid', () => {
    const diagram = diagramOf('capacity-report');
    expect(namespaceEdges(diagram)).toEqual([['-.->', 'nothing: kill switch engaged']]);
    expect(diagram).toContain('egressNone["no egress: default deny"]');
    expect(diagram).not.toMatch(/ -->\|/);
  });

  it('an admission rule in warn does not narrow RBAC: the verb stays solid, with a note', () => {
    const work = mkdtempSync(join(tmpdir(), 'agentguard-diagram-'));
    const fleet = join(work, 'fleet.yaml');
    writeFileSync(
      fleet,
      readFileSync(EXAMPLE_FLEET, 'utf8').replace(
        '      phase: advisory\n',
        '      phase: advisory\n      enforcement:\n        action: deny\n        policies: { AG501: warn }\n        until: "2099-01-01"\n        reason: measuring AG501\n',
      ),
    );
    const edges = namespaceEdges(diagramOf('incident-triage', fleetReach(loadFleetFile(fleet))));
    expect(edges).toContainEqual([
      '-->',
      'update patch<br/>configmaps, deployments.apps, deployments.apps/scale<br/>not blocked: AG501 warn',
    ]);
  });
});

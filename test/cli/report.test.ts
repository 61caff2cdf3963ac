/**
 * `agentguard report`: the blast radius read back from the synthesized guardrails, its Mermaid
 * diagrams, the --diff between two fleets, and bad input.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFleetFile } from '../../lib/fleet/load';
import { diffReach, renderDiff } from '../../synth/report/diff';
import { cell, renderReport } from '../../synth/report/markdown';
import { label, mermaid } from '../../synth/report/mermaid';
import type { AgentReach } from '../../synth/report/model';
import { fleetReach } from '../../synth/report/reach';
import { agentguard, EXAMPLE_FLEET } from '../support/cli';

const EXAMPLE = readFileSync(EXAMPLE_FLEET, 'utf8');
const reaches = fleetReach(loadFleetFile(EXAMPLE_FLEET));
const reach = (name: string) => {
  const found = reaches.find((r) => r.name === name);
  if (!found) throw new Error(`no agent ${name}`);
  return found;
};
const work = mkdtempSync(join(tmpdir(), 'agentguard-report-'));

describe('blast radius from the synthesized output', () => {
  it('release-bot: bound RBAC in shop by phase, its caps and allowlist, egress and Vault with TTLs', () => {
    const bot = reach('release-bot');
    expect([bot.phase, bot.killSwitch]).toEqual(['supervised', 'armed']);
    expect(bot.access).toEqual([
      {
        namespace: 'shop',
        apiGroup: '',
        resources: ['configmaps', 'services'],
        verbs: ['get', 'list', 'watch'],
        bound: true,
      },
      {
        namespace: 'shop',
        apiGroup: '',
        resources: ['configmaps', 'services'],
        verbs: ['create', 'update', 'patch'],
        bound: true,
      },
      {
        namespace: 'shop',
        apiGroup: 'apps',
        resources: ['deployments'],
        verbs: ['get', 'list', 'watch'],
        bound: true,
      },
      {
        namespace: 'shop',
        apiGroup: 'apps',
        resources: ['deployments', 'deployments/scale'],
        verbs: ['create', 'update', 'patch'],
        bound: true,
      },
    ]);
    const effect = (id: string) => bot.admission.find((a) => a.policy === id)?.effect;
    expect(bot.admission.map((a) => a.policy)).toEqual([
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
    expect(effect('AG101')).toBe('DELETE denied everywhere');
    expect(effect('AG102')).toBe(
      'no deletes through Kubernetes (ownerReferences, finalizers, TTL and history limits, PVC retention, evictions) anywhere',
    );
    expect(effect('AG401')).toContain('capped at 6');
    expect(effect('AG501')).toContain('shop: create configmaps, deployments.apps, services;');
    expect(effect('AG601')).toBe('not engaged: no effect');
    expect(bot.egress.map((e) => `${e.destination} ${e.ports}`)).toEqual([
      'CIDR 10.40.0.0/16 TCP/443',
      'namespace vault TCP/8200',
      'pods with k8s-app=kube-dns in namespace kube-system UDP/53, TCP/53',
    ]);
    expect(bot.vault).toEqual({
      paths: [
        { path: 'kubernetes/creds/agentguard-release-bot', capabilities: ['update'] },
        { path: 'secret/data/agents/release-bot/*', capabilities: ['read'] },
        { path: 'secret/data/shared/registry-pull', capabilities: ['read'] },
      ],
      ttl: '30m',
      maxTtl: '1h',
      login: 'auth/kubernetes-release-bot role release-bot',
    });
  });

  it('lists what pods each agent writes can reach: only what the fleet names, normally nothing', () => {
    expect(reach('release-bot').pods).toEqual([
      {
        namespace: 'shop',
        serviceAccounts: ['default', 'web'],
        secrets: ['web-tls'],
        volumes: [],
        registries: ['registry.shop.example/shop'],
      },
    ]);
    expect(reach('batch-scaler').pods).toEqual([
      {
        namespace: 'batch',
        serviceAccounts: ['default'],
        secrets: [],
        volumes: [],
        registries: ['registry.shop.example/batch'],
      },
    ]);
    // Shadow agents hold no write verb, so they write no pods anywhere.
    expect(reach('cost-analyst').pods).toEqual([]);
    // An engaged agent's Roles are unbound: nothing.
    expect(reach('capacity-report').pods).toEqual([]);
  });

  it('batch-scaler (autonomous) may delete Jobs in batch, in RBAC and in admission', () => {
    const scaler = reach('batch-scaler');
    expect(scaler.access).toContainEqual({
      namespace: 'batch',
      apiGroup: 'batch',
      resources: ['jobs'],
      verbs: ['delete'],
      bound: true,
    });
    expect(scaler.admission.find((a) => a.policy === 'AG101')?.effect).toBe(
      'DELETE denied except jobs.batch in batch',
    );
    expect(scaler.admission.find((a) => a.policy === 'AG102')?.effect).toMatch(
      /except of jobs\.batch in batch$/,
    );
    expect(scaler.vault?.ttl).toBe('1h');
  });

  it('capacity-report (kill switch engaged): no egress, Roles unbound, every request denied', () => {
    const report = reach('capacity-report');
    expect(report.killSwitch).toBe('engaged');
    expect(report.egress).toEqual([]);
    expect(report.access.every((a) => !a.bound)).toBe(true);
    expect(report.admission.find((a) => a.policy === 'AG601')?.effect).toMatch(
      /^every request denied: engaged by alice@shop\.example/,
    );
    expect(report.vault).toBeUndefined();
  });

  it('shadow and advisory agents: read-only RBAC or dry-run only admission', () => {
    expect(reach('cost-analyst').access.flatMap((a) => a.verbs)).not.toContain('update');
    expect(reach('incident-triage').admission.find((a) => a.policy === 'AG501')?.effect).toMatch(
      /^mutations only as server-side dry-run/,
    );
  });

  it('escapes Markdown in table cells, so initiator patterns and paths render as written', () => {
    expect(cell('a*b_c|d`e<f>[g]\\h')).toBe('a\\*b\\_c\\|d\\`e\\<f\\>\\[g\\]\\\\h');
    const markdown = renderReport('shop-platform', reaches);
    expect(markdown).toContain('release-manager-\\*@shop.example');
    // Outside the Mermaid blocks, no table row holds an unescaped emphasis marker.
    const rows = markdown
      .replace(/```mermaid\n[\s\S]*?\n```/g, '')
      .split('\n')
      .filter((line) => line.startsWith('|'));
    expect(rows.length).toBeGreaterThan(20);
    for (const row of rows) expect(row).not.toMatch(/(^|[^\\])[*_]/);
  });

  it('renders Markdown with one sane Mermaid flowchart per agent, byte-identical run to run', () => {
    const markdown = renderReport('shop-platform', reaches);
    expect(renderReport('shop-platform', fleetReach(loadFleetFile(EXAMPLE_FLEET)))).toBe(markdown);
    const blocks = [...markdown.matchAll(/```mermaid\n([\s\S]*?)\n```/g)].map((m) => m[1]);
    expect(blocks).toHaveLength(reaches.length);
    for (const block of blocks) {
      const [first, ...rest] = block.split('\n');
      expect(first).toBe('flowchart LR');
      const defined = new Set<string>();
      let open: string | undefined; // the subgraph being declared
      for (const line of rest) {
        // The agent at the top level, every other node inside its layer's subgraph.
        const node = /^( {2}| {4})([A-Za-z][A-Za-z0-9_]*)\["[^"]*"\]$/.exec(line);
        const edge = /^ {2}([A-Za-z][A-Za-z0-9_]*) (-->|-\.->)\|"[^"]*"\| ([A-Za-z][A-Za-z0-9_]*)$/.exec(
          line,
        );
        const subgraph = /^ {2}subgraph ([a-z]+)\["[^"]*"\]$/.exec(line);
        const end = line === '  end';
        expect(node ?? edge ?? subgraph ?? (end || null)).not.toBeNull();
        if (subgraph) {
          expect(open).toBeUndefined();
          open = subgraph[1];
        }
        if (end) {
          expect(open).toBeDefined();
          open = undefined;
        }
        if (node) expect(node[1] === '    ').toBe(open !== undefined);
        if (edge) expect(open).toBeUndefined();
        if (node) {
          expect(defined.has(node[2])).toBe(false);
          defined.add(node[2]);
        }
        if (edge) expect(defined.has(edge[1]) && defined.has(edge[3])).toBe(true);
      }
    }
  });
});

describe('--diff', () => {
  const changed = EXAMPLE.replace('maxReplicas: 6', 'maxReplicas: 8').replace(
    '        - cidr: 10.40.0.0/16\n          ports: [443]\n',
    '        - cidr: 10.40.0.0/16\n          ports: [443]\n        - cidr: 0.0.0.0/0\n          ports: [443]\n',
  );
  const newFleet = join(work, 'new.yaml');
  writeFileSync(newFleet, changed);

  it('shows the rows a fleet change adds and removes, only for the agent it touches', () => {
    const diff = diffReach(reaches, fleetReach(loadFleetFile(newFleet)));
    expect([...diff.changed.keys()]).toEqual(['release-bot']);
    const sections = diff.changed.get('release-bot') ?? [];
    expect(sections.map((s) => s.section)).toEqual(['admission', 'egress']);
    expect(sections[1].added).toEqual([['CIDR 0.0.0.0/0', 'TCP/443', 'agentguard-allow-egress']]);
    expect(sections[1].removed).toEqual([]);
    const markdown = renderDiff('shop-platform', diff);
    expect(markdown).toContain(
      '| added | AG401 | Replica caps | replicas, scale subresource, HPA maxReplicas and Job parallelism capped at 8;',
    );
    expect(markdown).toContain(
      '| removed | AG401 | Replica caps | replicas, scale subresource, HPA maxReplicas and Job parallelism capped at 6;',
    );
  });

  it('names agents added and removed, and says when nothing changed', () => {
    const withoutTriage = reaches.filter((r) => r.name !== 'incident-triage');
    expect(diffReach(withoutTriage, reaches)).toMatchObject({ added: ['incident-triage'], removed: [] });
    expect(diffReach(reaches, withoutTriage)).toMatchObject({ added: [], removed: ['incident-triage'] });
    expect(renderDiff('x', diffReach(reaches, reaches))).toContain("No change in any agent's reach.");
  });

  it('through the CLI, with --agent and --out', () => {
    const out = join(work, 'diff.md');
    const run = agentguard([
      'report',
      '--fleet',
      newFleet,
      '--diff',
      EXAMPLE_FLEET,
      '--agent',
      'release-bot',
      '--out',
      out,
    ]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain(
      '| added | CIDR 0.0.0.0/0 | TCP/443 | agentguard-allow-egress |',
    );
  });
});

describe('agentguard report on the command line', () => {
  it('prints the report of one agent and exits 0', () => {
    const run = agentguard(['report', '--agent', 'capacity-report']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('## capacity-report');
    expect(run.stdout).not.toContain('## release-bot');
    expect(run.stdout).toContain('_None: no NetworkPolicy allows its pods any egress');
  });

  it('exits 2 on an unknown --agent, naming the agents there are', () => {
    const run = agentguard(['report', '--agent', 'relase-bot']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      '--agent relase-bot: no such agent; the fleet has batch-scaler, capacity-report',
    );
    expect(run.stdout).toBe('');
  });

  it('exits 1 on an invalid fleet', () => {
    const bad = join(work, 'bad.yaml');
    writeFileSync(bad, EXAMPLE.replace('phase: supervised', 'phase: bogus'));
    const run = agentguard(['report', '--fleet', bad]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('"bogus" is not one of');
  });
});

describe('the Mermaid diagram', () => {
  it('shows what the pods an agent writes may use, where it may write them', () => {
    const batch = reaches.find((r) => r.name === 'batch-scaler');
    expect(batch).toBeDefined();
    const diagram = mermaid(batch as AgentReach);
    expect(diagram).toContain(
      '    pods0["pods in batch<br/>as default<br/>images from registry.shop.example/batch"]',
    );
    expect(diagram).toContain('  agent -->|"writes pods"| pods0');
  });

  it('escapes #, quotes, angle brackets and backquotes in labels', () => {
    expect(label('a "b" <c> #quot;')).toBe('"a #quot;b#quot; #lt;c#gt; #35;quot;"');
    expect(label('`md`')).toBe('"#96;md#96;"');
  });
});

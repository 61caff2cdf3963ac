/**
 * One Mermaid `flowchart LR` per agent: what it can effectively do, grouped by layer. Kubernetes
 * shows RBAC after admission (synth/report/effective.ts), so an advisory agent's writes appear as
 * dry-run only and an engaged kill switch leaves nothing; each edge names its verbs and the resources
 * they apply to. Network shows the egress its pods' NetworkPolicies allow, Vault the paths and
 * capabilities its policy grants (or that it cannot log in). Node and subgraph ids are generated
 * (letters, digits) and every label is quoted, so no name from the fleet can break the syntax.
 */
import type { EffectiveRow } from './effective';
import type { AgentReach } from './model';
import { runsPods, WRITE_VERBS } from './pods';

/**
 * A quoted Mermaid label. `#` (which starts Mermaid's entity codes), quotes, angle brackets and
 * backquotes (a leading one turns the label into Markdown) become entity codes; lines join with <br/>.
 */
export const label = (...lines: string[]) =>
  `"${lines
    .map((t) =>
      t
        .replace(/#/g, '#35;')
        .replace(/"/g, '#quot;')
        .replace(/</g, '#lt;')
        .replace(/>/g, '#gt;')
        .replace(/`/g, '#96;')
        .replace(/\r?\n/g, ' '),
    )
    .join('<br/>')}"`;

/** The layers, in the order drawn; ids are fixed words no generated node id can equal. */
export const LAYERS = {
  kubernetes: 'Kubernetes: RBAC ∩ admission',
  network: 'network: egress',
  vault: 'Vault',
} as const;

const edgeLabel = (row: EffectiveRow): string =>
  label(
    `${row.mode === 'dry-run only' ? 'dry-run only: ' : ''}${row.verbs.join(' ')}`,
    row.resources.join(', '),
    ...(row.notBlockedBy.length > 0 ? [`not blocked: ${row.notBlockedBy.join(', ')}`] : []),
  );

export function mermaid(reach: AgentReach): string {
  const nodes: Record<keyof typeof LAYERS, string[]> = { kubernetes: [], network: [], vault: [] };
  const edges: string[] = [];
  const node = (layer: keyof typeof LAYERS, id: string, text: string[]) =>
    nodes[layer].push(`    ${id}[${label(...text)}]`);

  const namespaces = [...new Set([...reach.access, ...reach.effective].map((r) => r.namespace))].sort();
  namespaces.forEach((ns, i) => {
    node('kubernetes', `k8s${i}`, [`namespace ${ns}`]);
    const rows = reach.effective.filter((r) => r.namespace === ns);
    for (const row of rows) {
      // Solid: the request goes through. Dotted: accepted only as a dry-run, so it changes nothing.
      edges.push(`  agent ${row.mode === 'allowed' ? '-->' : '-.->'}|${edgeLabel(row)}| k8s${i}`);
    }
    if (rows.length === 0) {
      const why = reach.killSwitch === 'engaged' ? 'kill switch engaged' : 'no RoleBinding';
      edges.push(`  agent -.->|${label(`nothing: ${why}`)}| k8s${i}`);
    }
  });
  if (namespaces.length === 0) {
    node('kubernetes', 'k8sNone', ['no target namespaces']);
  }
  // Where it really writes what runs pods, the reach those pods get (AG202): their ServiceAccounts,
  // Secrets, volumes and registries.
  const writesPods = new Set(
    reach.effective
      .filter(
        (r) =>
          r.mode === 'allowed' && r.verbs.some((v) => WRITE_VERBS.includes(v)) && r.resources.some(runsPods),
      )
      .map((r) => r.namespace),
  );
  reach.pods
    .filter((p) => p.registries.length > 0 && writesPods.has(p.namespace))
    .forEach((p, i) => {
      node('kubernetes', `pods${i}`, [
        `pods in ${p.namespace}`,
        `as ${p.serviceAccounts.join(', ')}`,
        ...(p.secrets.length > 0 ? [`Secrets ${p.secrets.join(', ')}`] : []),
        ...(p.volumes.length > 0 ? [p.volumes.join(', ')] : []),
        `images from ${p.registries.join(', ')}`,
      ]);
      edges.push(`  agent -->|${label('writes pods')}| pods${i}`);
    });

  reach.egress.forEach((e, i) => {
    node('network', `egress${i}`, [e.destination]);
    edges.push(`  agent -->|${label(`egress ${e.ports}`)}| egress${i}`);
  });
  if (reach.egress.length === 0) node('network', 'egressNone', ['no egress: default deny']);

  reach.vault?.paths.forEach((p, i) => {
    node('vault', `vault${i}`, [p.path]);
    edges.push(
      reach.vault?.login
        ? `  agent -->|${label(p.capabilities.join(' '))}| vault${i}`
        : `  agent -.->|${label('nothing: login disabled')}| vault${i}`,
    );
  });
  if (!reach.vault || reach.vault.paths.length === 0) node('vault', 'vaultNone', ['no Vault paths']);

  return [
    'flowchart LR',
    `  agent[${label(reach.name, `${reach.phase} · kill switch ${reach.killSwitch}`)}]`,
    ...(Object.keys(LAYERS) as (keyof typeof LAYERS)[]).flatMap((layer) => [
      `  subgraph ${layer}[${label(LAYERS[layer])}]`,
      ...nodes[layer],
      '  end',
    ]),
    // Edges after every subgraph: an edge declared inside one would pull the agent node into it.
    ...edges,
  ].join('\n');
}

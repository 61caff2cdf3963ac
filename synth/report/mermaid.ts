/**
 * One Mermaid `flowchart LR` per agent: the agent, the namespaces it reaches with its verbs, what the
 * pods it may write there can use (the tool chain through workloads, AG202), its egress destinations
 * and its Vault paths. Node ids are generated (letters, digits, `_`) and every label is
 * quoted, so no name from the fleet can break the diagram's syntax.
 */
import type { AgentReach } from './model';

/**
 * A quoted Mermaid label; `#` (which starts Mermaid's entity codes), quotes and angle brackets in the
 * text become entity codes, lines join with <br/>.
 */
export const label = (...lines: string[]) =>
  `"${lines
    .map((t) => t.replace(/#/g, '#35;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;'))
    .join('<br/>')}"`;

export function mermaid(reach: AgentReach): string {
  const lines = [
    'flowchart LR',
    `  agent[${label(reach.name, `${reach.phase} · kill switch ${reach.killSwitch}`)}]`,
  ];
  const namespaces = [...new Set(reach.access.map((r) => r.namespace))];
  namespaces.forEach((ns, i) => {
    const rows = reach.access.filter((r) => r.namespace === ns);
    const verbs = [...new Set(rows.flatMap((r) => r.verbs))].join(' ');
    const bound = rows.some((r) => r.bound);
    lines.push(`  ns${i}[${label(`namespace ${ns}`)}]`);
    // A dotted edge: the Role exists but nothing binds it (kill switch engaged).
    lines.push(bound ? `  agent -->|${label(verbs)}| ns${i}` : `  agent -.->|${label('unbound')}| ns${i}`);
  });
  // Where it may write pods, the reach those pods get: run as these ServiceAccounts, mount these Secrets.
  reach.pods
    .filter((p) => p.registries.length > 0)
    .forEach((p, i) => {
      const uses = [
        `as ${p.serviceAccounts.join(', ')}`,
        ...(p.secrets.length > 0 ? [`Secrets ${p.secrets.join(', ')}`] : []),
        ...(p.volumes.length > 0 ? [p.volumes.join(', ')] : []),
        `images from ${p.registries.join(', ')}`,
      ];
      lines.push(`  pods${i}[${label(`pods in ${p.namespace}`, ...uses)}]`);
      lines.push(`  agent -->|${label('writes pods')}| pods${i}`);
    });
  reach.egress.forEach((e, i) => {
    lines.push(`  egress${i}[${label(e.destination)}]`);
    lines.push(`  agent -->|${label(`egress ${e.ports}`)}| egress${i}`);
  });
  reach.vault?.paths.forEach((p, i) => {
    lines.push(`  vault${i}[${label(`vault ${p.path}`)}]`);
    lines.push(
      reach.vault?.login
        ? `  agent -->|${label(p.capabilities.join(' '))}| vault${i}`
        : `  agent -.->|${label('login disabled')}| vault${i}`,
    );
  });
  return lines.join('\n');
}

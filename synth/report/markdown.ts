/** The blast-radius report and its diff as Markdown, deterministic for the same fleets. */
import { mermaid } from './mermaid';
import {
  sectionRows,
  SECTION_HEADERS,
  SECTION_TITLES,
  SECTIONS,
  type AgentReach,
  type Section,
} from './model';

/**
 * A Markdown table cell, escaped: a pipe would split the row, and `*`, `_`, backquotes, brackets and
 * angle brackets in fleet values (initiator patterns such as `release-manager-*@shop.example`) would
 * otherwise render as emphasis, code, links or HTML instead of the value.
 */
export const cell = (text: string): string => text.replace(/[\\`*_|<>[\]]/g, (c) => `\\${c}`);

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
}

const EMPTY: Readonly<Record<Section, string>> = {
  state: '',
  access: '_No Kubernetes access: the agent has no targets._',
  admission: '_No policy names this agent._',
  pods: '_None: it may not create or change anything that runs pods._',
  egress: '_None: no NetworkPolicy allows its pods any egress (kill switch engaged, or no allowance)._',
  vault: '_None: the agent has no Vault paths, so Vault issues it nothing._',
};

export function agentSection(reach: AgentReach): string[] {
  const rows = sectionRows(reach);
  const parts = [`## ${reach.name}`, ''];
  for (const section of SECTIONS) {
    parts.push(`### ${SECTION_TITLES[section]}`, '');
    parts.push(
      ...(rows[section].length === 0 ? [EMPTY[section]] : table(SECTION_HEADERS[section], rows[section])),
    );
    parts.push('');
  }
  parts.push('```mermaid', mermaid(reach), '```', '');
  return parts;
}

/** A list as one table cell; an em dash when empty, so an empty cell never reads as a rendering slip. */
const listed = (items: readonly string[]): string => (items.length > 0 ? items.join(', ') : '—');

/** A fleet's exemption, as the report lists it. */
export interface ExemptionRow {
  readonly policies: readonly string[];
  readonly namespaces: readonly string[];
  readonly objects: readonly string[];
  readonly reason: string;
  readonly approvedBy: string;
}

export function renderReport(
  fleetName: string,
  reaches: readonly AgentReach[],
  exemptions: readonly ExemptionRow[] = [],
): string {
  const overview = reaches.map((r) => [
    r.name,
    r.phase,
    r.killSwitch,
    String(new Set(r.access.filter((a) => a.bound).map((a) => a.namespace)).size),
    String(r.egress.length),
    String(r.vault?.paths.length ?? 0),
  ]);
  return [
    `# Blast radius: fleet ${fleetName}`,
    '',
    'Computed from the synthesized guardrails (RBAC, NetworkPolicies, admission constraints, Vault policies).',
    '',
    ...table(
      ['agent', 'phase', 'kill switch', 'namespaces reached', 'egress rules', 'Vault paths'],
      overview,
    ),
    '',
    ...(exemptions.length > 0
      ? [
          '## Exemptions',
          '',
          ...table(
            ['policies', 'namespaces', 'objects', 'reason', 'approved by'],
            exemptions.map((e) => [
              e.policies.join(', '),
              listed(e.namespaces),
              listed(e.objects),
              e.reason,
              e.approvedBy,
            ]),
          ),
          '',
        ]
      : []),
    ...reaches.flatMap(agentSection),
  ].join('\n');
}

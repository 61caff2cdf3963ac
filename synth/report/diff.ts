/**
 * How each agent's reach changes between two fleets, for a pull-request reviewer: agents added and
 * removed, and per agent and section the rows added and removed (a changed row shows as both).
 */
import { table } from './markdown';
import {
  sectionRows,
  SECTION_HEADERS,
  SECTION_TITLES,
  SECTIONS,
  type AgentReach,
  type Section,
} from './model';

export interface SectionChange {
  readonly section: Section;
  readonly added: readonly (readonly string[])[];
  readonly removed: readonly (readonly string[])[];
}

export interface ReachDiff {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** Agents in both fleets whose reach changed, with only the sections that changed. */
  readonly changed: ReadonlyMap<string, readonly SectionChange[]>;
}

const key = (row: readonly string[]) => row.join('\u0000');

export function diffReach(before: readonly AgentReach[], after: readonly AgentReach[]): ReachDiff {
  const old = new Map(before.map((r) => [r.name, r]));
  const now = new Map(after.map((r) => [r.name, r]));
  const changed = new Map<string, SectionChange[]>();
  for (const [name, reach] of now) {
    const previous = old.get(name);
    if (!previous) continue;
    const a = sectionRows(previous);
    const b = sectionRows(reach);
    const changes = SECTIONS.map((section) => {
      const was = new Set(a[section].map(key));
      const is = new Set(b[section].map(key));
      return {
        section,
        added: b[section].filter((r) => !was.has(key(r))),
        removed: a[section].filter((r) => !is.has(key(r))),
      };
    }).filter((c) => c.added.length > 0 || c.removed.length > 0);
    if (changes.length > 0) changed.set(name, changes);
  }
  return {
    added: [...now.keys()].filter((n) => !old.has(n)).sort(),
    removed: [...old.keys()].filter((n) => !now.has(n)).sort(),
    changed,
  };
}

export function renderDiff(fleetName: string, diff: ReachDiff): string {
  const parts = [`# Reach changes: fleet ${fleetName}`, ''];
  if (diff.added.length === 0 && diff.removed.length === 0 && diff.changed.size === 0) {
    parts.push("No change in any agent's reach.", '');
    return parts.join('\n');
  }
  if (diff.added.length > 0)
    parts.push(`Agents added: ${diff.added.join(', ')} (their full reach is in the report).`, '');
  if (diff.removed.length > 0) parts.push(`Agents removed: ${diff.removed.join(', ')}.`, '');
  for (const [name, changes] of diff.changed) {
    parts.push(`## ${name}`, '');
    for (const change of changes) {
      const rows = [
        ...change.added.map((r) => ['added', ...r]),
        ...change.removed.map((r) => ['removed', ...r]),
      ];
      parts.push(
        `### ${SECTION_TITLES[change.section]}`,
        '',
        ...table(['change', ...SECTION_HEADERS[change.section]], rows),
        '',
      );
    }
  }
  return parts.join('\n');
}

/** Sections whose rows grant something: a row added there is reach gained. */
const GRANTS: readonly Section[] = ['access', 'pods', 'egress', 'vault'];
const PHASE_ORDER = ['shadow', 'advisory', 'supervised', 'autonomous'];

const stateValue = (rows: readonly (readonly string[])[], what: string): string | undefined =>
  rows.find((r) => r[0] === what)?.[1];

/** Why a section change widens the agent's reach, or undefined when it only narrows it. */
function growth(change: SectionChange): string | undefined {
  if (GRANTS.includes(change.section)) {
    // Conservative: a changed grant row (say, one verb fewer) shows as added and removed, and counts.
    return change.added.length > 0
      ? `${SECTION_TITLES[change.section]}: ${change.added.length} row(s) added`
      : undefined;
  }
  if (change.section === 'admission') {
    // Admission rows restrict: one removed (or changed, e.g. a higher replica cap) is a guard gone.
    return change.removed.length > 0
      ? `${SECTION_TITLES.admission}: ${change.removed.map((r) => r[0]).join(', ')} removed or changed`
      : undefined;
  }
  const [was, is] = [stateValue(change.removed, 'phase'), stateValue(change.added, 'phase')];
  if (was !== undefined && is !== undefined && PHASE_ORDER.indexOf(is) > PHASE_ORDER.indexOf(was)) {
    return `phase ${was} → ${is}`;
  }
  const [switchWas, switchIs] = [
    stateValue(change.removed, 'kill switch'),
    stateValue(change.added, 'kill switch'),
  ];
  if (switchWas === 'engaged' && switchIs !== undefined && switchIs !== 'engaged')
    return 'kill switch released';
  if (change.added.some((r) => r[0] === 'enforcement (not deny)'))
    return 'enforcement relaxed (warn or dryrun)';
  return undefined;
}

/**
 * Agents whose reach grew, each with the reasons (for `report --diff --exit-code`): agents added, and
 * changes that add a grant, remove or change an admission guard, raise the phase, release the kill
 * switch or relax enforcement. Narrowing changes (rows removed, a demotion, an engaged switch) do not count.
 */
export function grownAgents(diff: ReachDiff): Map<string, string[]> {
  const grown = new Map<string, string[]>();
  for (const name of diff.added) grown.set(name, ['new agent']);
  for (const [name, changes] of diff.changed) {
    const reasons = changes.map(growth).filter((r): r is string => r !== undefined);
    if (reasons.length > 0) grown.set(name, reasons);
  }
  return grown;
}

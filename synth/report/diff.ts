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

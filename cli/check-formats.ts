/**
 * `check --output sarif|junit`: the results for CI. SARIF 2.1.0 for GitHub code scanning (one result per
 * finding, at the file and line of the object), JUnit XML for test reports (one test case per reviewed
 * object, failed when denied). Pure functions of the results and the policy catalog.
 */
import { isAbsolute, relative, sep } from 'node:path';
import type { Log } from 'sarif';
import { invariantLink, invariantRef } from '../lib/invariants';
import type { CheckResult, CheckViolation } from '../policies/check';

/** What a SARIF rule needs of a policy (policies/catalog.ts PolicyEntry). */
export interface RuleInfo {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly invariant: string;
}

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/**
 * Why each policy that produced a finding exists: `AG201 enforces I2, see docs/design.md#i2`, one
 * line per policy, in ID order. The text and JUnit reports end with them.
 */
export function invariantNotes(results: readonly CheckResult[], rules: readonly RuleInfo[]): string[] {
  const fired = new Set(results.flatMap((r) => findings(r).map((v) => v.policy)));
  return [...rules]
    .filter((rule) => fired.has(rule.id))
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((rule) => `${rule.id} enforces ${invariantRef(rule.invariant)}`);
}

const LEVEL = { deny: 'error', warn: 'warning', dryrun: 'note' } as const;

/** A path as SARIF and JUnit consumers expect it: relative to the working directory, with `/`. */
export function reportPath(file: string, cwd = process.cwd()): string {
  const path = isAbsolute(file) ? relative(cwd, file) : file;
  return path.split(sep).join('/');
}

const describe = (r: CheckResult): string =>
  `${r.object.kind} ${[r.object.namespace, r.object.name ?? '(unnamed)'].filter(Boolean).join('/')}`;

const findings = (r: CheckResult): CheckViolation[] => [...r.violations, ...r.warnings, ...r.dryrun];

export function sarifReport(
  results: readonly CheckResult[],
  rules: readonly RuleInfo[],
  version: string,
): string {
  const sorted = [...rules].sort((a, b) => a.id.localeCompare(b.id));
  const index = new Map(sorted.map((rule, i) => [rule.id, i]));
  // Typed by @types/sarif (the SARIF 2.1.0 object model), so a misnamed or misplaced field fails to compile.
  const log: Log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'agentguard',
            version,
            rules: sorted.map((rule) => ({
              id: rule.id,
              name: rule.title.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) =>
                (c ?? '').toUpperCase(),
              ),
              shortDescription: { text: rule.title },
              fullDescription: { text: rule.description },
              help: {
                text: `${rule.description} Invariant ${rule.invariant}: see ${invariantLink(rule.invariant)}.`,
              },
              defaultConfiguration: { level: 'error' },
              properties: { tags: ['security', 'kubernetes', rule.invariant] },
            })),
          },
        },
        results: results.flatMap((r) =>
          findings(r).map((v) => ({
            ruleId: v.policy,
            ...(index.has(v.policy) ? { ruleIndex: index.get(v.policy) } : {}),
            level: LEVEL[v.action],
            message: { text: `${describe(r)} (document ${r.document}): ${v.message}` },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: reportPath(r.file) },
                  region: { startLine: r.line ?? 1 },
                },
              },
            ],
          })),
        ),
      },
    ],
  };
  return JSON.stringify(log, null, 2);
}

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};
/** Escapes text for an XML attribute or element; drops characters XML 1.0 cannot carry at all. */
export const xml = (text: string): string =>
  text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/[&<>"']/g, (c) => XML_ESCAPES[c]);

/** `rules`: the policy catalog, to end each failure with the invariants its policies enforce. */
export function junitReport(results: readonly CheckResult[], rules: readonly RuleInfo[] = []): string {
  const files = [...new Set(results.map((r) => r.file))];
  const failed = (rs: readonly CheckResult[]) => rs.filter((r) => !r.allowed).length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="agentguard check" tests="${results.length}" failures="${failed(results)}" errors="0">`,
  ];
  for (const file of files) {
    const mine = results.filter((r) => r.file === file);
    const path = xml(reportPath(file));
    lines.push(
      `  <testsuite name="${path}" tests="${mine.length}" failures="${failed(mine)}" errors="0" skipped="0">`,
    );
    for (const r of mine) {
      const name = xml(`${describe(r)} (document ${r.document})`);
      const line = r.line !== undefined ? ` line="${r.line}"` : '';
      const open = `    <testcase name="${name}" classname="${path}" file="${path}"${line}`;
      const relaxed = [
        ...r.warnings.map((v) => `warn: ${v.message}`),
        ...r.dryrun.map((v) => `dryrun: ${v.message}`),
      ];
      if (r.allowed && relaxed.length === 0) {
        lines.push(`${open}/>`);
        continue;
      }
      lines.push(`${open}>`);
      if (!r.allowed) {
        const ids = [...new Set(r.violations.map((v) => v.policy))].join(', ');
        const count = r.violations.length;
        lines.push(
          `      <failure type="${xml(ids)}" message="${xml(`denied: ${count} violation${count === 1 ? '' : 's'} (${ids})`)}">${xml([...r.violations.map((v) => v.message), ...invariantNotes([{ ...r, warnings: [], dryrun: [] }], rules)].join('\n'))}</failure>`,
        );
      }
      if (relaxed.length > 0) lines.push(`      <system-out>${xml(relaxed.join('\n'))}</system-out>`);
      lines.push('    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n');
}

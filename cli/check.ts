/** `agentguard check`: the offline what-if check (policies/check.ts) on manifests or AdmissionReviews. */
import { Option, type Command } from 'commander';
import type { ReviewInput } from '../lib/admission/input';
import type { Fleet } from '../lib/fleet/schema';
import { agentUsername } from '../lib/naming';
import type { CheckResult, CheckViolation } from '../policies/check';
import { EXIT, out, styler, UsageError } from './output';

/** Who sends manifests when --as is not given: a user that is no agent, so only object rules apply. */
export const DEFAULT_USER = 'kubernetes-admin';
/** kubectl's default namespace (lib/admission/input.ts DEFAULT_NAMESPACE, not imported: it loads yaml and zod). */
const DEFAULT_NAMESPACE = { name: 'default' } as const;

interface CheckFlags {
  readonly fleet: string;
  readonly as: string;
  readonly namespace: string;
  readonly output: 'text' | 'json';
}

/** --as takes a username, or the name of one of the fleet's agents for its ServiceAccount. */
export function resolveUser(fleet: Fleet, as: string): string {
  const agent = fleet.spec.agents.find((a) => a.name === as);
  return agent ? agentUsername(agent) : as;
}

const describe = (r: CheckResult): string =>
  `${r.object.kind} ${[r.object.namespace, r.object.name ?? '(unnamed)'].filter(Boolean).join('/')}`;

export function textReport(results: readonly CheckResult[], colour = styler(process.stdout)): string[] {
  const lines: string[] = [];
  for (const r of results) {
    const verdict = r.allowed ? colour('green', 'allowed') : colour('red', 'denied ');
    lines.push(`${verdict}  ${r.file}#${r.document}  ${describe(r)}`);
    const line = (v: CheckViolation, mode = '') =>
      `         ${mode}${v.message.startsWith(`[${v.policy}]`) ? v.message : `[${v.policy}] ${v.message}`}`;
    for (const v of r.violations) lines.push(line(v));
    // Constraints in warn or dryrun do not deny: listed apart, so they never read as a denial.
    for (const v of r.warnings) lines.push(line(v, colour('yellow', 'warn:   ')));
    for (const v of r.dryrun) lines.push(line(v, 'dryrun: '));
  }
  const denied = results.filter((r) => !r.allowed).length;
  const violations = results.reduce((n, r) => n + r.violations.length, 0);
  const warned = results.reduce((n, r) => n + r.warnings.length, 0);
  const recorded = results.reduce((n, r) => n + r.dryrun.length, 0);
  const relaxed = [
    ...(warned > 0 ? [`${warned} warning${warned === 1 ? '' : 's'}`] : []),
    ...(recorded > 0 ? [`${recorded} dryrun`] : []),
  ];
  const total = `${results.length} reviewed: ${results.length - denied} allowed, ${denied} denied (${violations} violation${violations === 1 ? '' : 's'}${relaxed.map((r) => `, ${r}`).join('')})`;
  lines.push(colour('bold', total));
  return lines;
}

const plain = ({ policy, message }: CheckViolation) => ({ policy, message });

/** JSON Lines: one object per reviewed object, so a consumer can stream or grep it. */
export const jsonReport = (results: readonly CheckResult[]): string[] =>
  results.map((r) =>
    JSON.stringify({
      file: r.file,
      document: r.document,
      object: r.object,
      allowed: r.allowed,
      violations: r.violations.map(plain),
      ...(r.warnings.length > 0 ? { warnings: r.warnings.map(plain) } : {}),
      ...(r.dryrun.length > 0 ? { dryrun: r.dryrun.map(plain) } : {}),
    }),
  );

export function checkCommand(program: Command): void {
  program
    .command('check')
    .description('Evaluate manifests or AdmissionReviews against the policy pack, offline (WASM)')
    .argument('<files...>', 'Kubernetes manifests (YAML or JSON, multi-document) or AdmissionReview files')
    .requiredOption('-f, --fleet <file>', 'fleet file whose constraints to apply')
    .option(
      '--as <user>',
      'who creates the manifests: a username, or an agent name of the fleet for its ServiceAccount',
      DEFAULT_USER,
    )
    .option(
      '-n, --namespace <namespace>',
      'namespace of manifests without metadata.namespace, as kubectl apply -n',
      DEFAULT_NAMESPACE.name,
    )
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Manifests are reviewed as CREATE requests by --as (default ${DEFAULT_USER}, no agent: only object
rules such as AG701 apply). Namespaced objects without metadata.namespace are created in --namespace
(default ${DEFAULT_NAMESPACE.name}, like kubectl); one naming another namespace than an explicit
--namespace is bad input, as in kubectl. Cluster-scoped kinds (a built-in table) get no namespace;
any other kind is taken as namespaced. AdmissionReview files (admission.k8s.io/v1) are reviewed as
they are.
--output json prints one JSON object per reviewed object per line:
  {"file", "document", "object": {kind, namespace, name}, "allowed", "violations": [{policy, message}]}

Findings of constraints in warn or dryrun (staged rollout) are listed apart, as warn: and dryrun:,
and do not deny. Exit codes: 0 all allowed (warn and dryrun findings included); 1 something denied, or an invalid fleet (it reads, but fails validation);
2 usage or bad input (a missing or unreadable --fleet or input file, a malformed input file).`,
    )
    .action(async (files: string[], flags: CheckFlags, command: Command) => {
      const { InputError, readReviewInputs } = await import('../lib/admission/input');
      const { userInfoFor } = await import('../lib/admission/request');
      const { loadFleetFile } = await import('../lib/fleet/load');
      const { PackChecker } = await import('../policies/check');
      const fleet = loadFleetFile(flags.fleet);
      const user = userInfoFor(resolveUser(fleet, flags.as));
      const target = {
        name: flags.namespace,
        explicit: command.getOptionValueSource('namespace') === 'cli',
      };
      const inputs: ReviewInput[] = [];
      const problems: string[] = [];
      for (const file of files) {
        try {
          inputs.push(...readReviewInputs(file, user, target));
        } catch (error) {
          if (!(error instanceof InputError)) throw error;
          problems.push(error.message);
        }
      }
      // Every bad file is named at once, and nothing is evaluated: a partial verdict would mislead.
      if (problems.length > 0) throw new UsageError(problems.join('\nagentguard: '));
      const checker = new PackChecker(fleet);
      const results: CheckResult[] = [];
      for (const input of inputs) results.push(await checker.check(input));
      out((flags.output === 'json' ? jsonReport(results) : textReport(results)).join('\n'));
      process.exitCode = results.every((r) => r.allowed) ? EXIT.ok : EXIT.findings;
    });
}

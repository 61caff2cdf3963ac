/** `agentguard check`: the offline what-if check (policies/check.ts) on manifests or AdmissionReviews. */
import { Option, type Command } from 'commander';
import type { ReviewInput } from '../lib/admission/input';
import type { Fleet } from '../lib/fleet/schema';
import { agentUsername } from '../lib/naming';
import { closest } from '../lib/text-distance';
import type { CheckResult, CheckViolation } from '../policies/check';
import { invariantNotes, type RuleInfo } from './check-formats';
import { EXIT, out, styler, UsageError } from './output';

/** Who sends manifests when --as is not given: a user that is no agent, so only object rules apply. */
export const DEFAULT_USER = 'kubernetes-admin';
/** kubectl's default namespace (lib/admission/input.ts DEFAULT_NAMESPACE, not imported: it loads yaml and zod). */
const DEFAULT_NAMESPACE = { name: 'default' } as const;

interface CheckFlags {
  readonly fleet: string;
  readonly as: string;
  readonly namespace: string;
  readonly output: 'text' | 'json' | 'sarif' | 'junit';
  readonly at?: string;
  readonly engine: 'rego' | 'cel';
}

/**
 * --as takes the name of one of the fleet's agents (for its ServiceAccount) or a username. A bare word
 * that is neither (no `@` or `:`, as in alice@example.com or system:serviceaccount:ns:name) is most
 * likely a mistyped agent name: asking as a stranger would pass silently, so it is bad input.
 */
export function resolveUser(fleet: Fleet, as: string): string {
  const agent = fleet.spec.agents.find((a) => a.name === as);
  if (agent) return agentUsername(agent);
  if (as === DEFAULT_USER || /[@:]/.test(as)) return as;
  const names = fleet.spec.agents.map((a) => a.name);
  const guess = closest(as, names);
  throw new UsageError(
    `--as ${as}: not an agent of fleet ${fleet.metadata.name} and not a username; ` +
      (guess ? `did you mean "${guess}"? ` : `its agents are ${names.join(', ')}; `) +
      'a username contains "@" or ":" (alice@example.com, system:serviceaccount:<namespace>:<name>)',
  );
}

const describe = (r: CheckResult): string =>
  `${r.object.kind} ${[r.object.namespace, r.object.name ?? '(unnamed)'].filter(Boolean).join('/')}`;

/** `rules`: the policy catalog; when given, the report ends with the invariant each firing policy enforces. */
export function textReport(
  results: readonly CheckResult[],
  colour = styler(process.stdout),
  rules: readonly RuleInfo[] = [],
): string[] {
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
  // Where to read why: each policy that fired, with its invariant and the anchor in docs/design.md.
  lines.push(...invariantNotes(results, rules));
  return lines;
}

const plain = ({ policy, message }: CheckViolation) => ({ policy, message });

/** JSON Lines: one object per reviewed object, so a consumer can stream or grep it. */
export const jsonReport = (results: readonly CheckResult[]): string[] =>
  results.map((r) =>
    JSON.stringify({
      file: r.file,
      document: r.document,
      ...(r.line !== undefined ? { line: r.line } : {}),
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
    .argument(
      '<files...>',
      'Kubernetes manifests (YAML or JSON, multi-document) or AdmissionReview files; a folder: its *.yaml, *.yml and *.json files (recursively, sorted); -: standard input',
    )
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
    .addOption(
      new Option(
        '-o, --output <format>',
        'output format: text, JSON Lines, SARIF 2.1.0 (GitHub code scanning) or JUnit XML',
      )
        .choices(['text', 'json', 'sarif', 'junit'])
        .default('text'),
    )
    .addOption(
      new Option(
        '--engine <engine>',
        "which engine evaluates: rego (the WASM modules) or cel (the templates' K8sNativeValidation CEL, Rego where a policy has none, as Gatekeeper does)",
      )
        .choices(['rego', 'cel'])
        .default('rego'),
    )
    .option(
      '--at <time>',
      'evaluate as of this time (RFC 3339 such as 2026-01-01T00:01:00Z, or Unix seconds): when delegation tokens expire; default now',
    )
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
  {"file", "document", "line", "object": {kind, namespace, name}, "allowed", "violations": [{policy, message}]}
--output sarif prints SARIF 2.1.0 (upload it to GitHub code scanning): one result per finding at the
file and line of its object, level error (deny), warning (warn) or note (dryrun).
--output junit prints JUnit XML: a test suite per file, a test case per object, failed when denied.
--as takes an agent name of the fleet or a username with "@" or ":"; any other word is refused
(exit 2, with the nearest agent name), so a typo never asks as a stranger.

Findings of constraints in warn or dryrun (staged rollout) are listed apart, as warn: and dryrun:,
and do not deny. Exit codes: 0 all allowed (warn and dryrun findings included); 1 something denied, or an invalid fleet (it reads, but fails validation);
2 usage or bad input (a missing or unreadable --fleet or input file, a malformed input file or fleet,
an --as that is neither an agent nor a username).`,
    )
    .action(async (paths: string[], flags: CheckFlags, command: Command) => {
      const { expandInputPaths, InputError, readReviewInputs, STDIN } =
        await import('../lib/admission/input');
      const { userInfoFor } = await import('../lib/admission/request');
      const { loadFleetFile } = await import('../lib/fleet/load');
      const { PackChecker } = await import('../policies/check');
      const { committedModules, PackEvaluator } = await import('../policies/wasm');
      const fleet = loadFleetFile(flags.fleet);
      const user = userInfoFor(resolveUser(fleet, flags.as));
      const target = {
        name: flags.namespace,
        explicit: command.getOptionValueSource('namespace') === 'cli',
      };
      const inputs: ReviewInput[] = [];
      const problems: string[] = [];
      if (paths.filter((p) => p === STDIN).length > 1) {
        throw new UsageError('- (standard input) is given more than once; give it once');
      }
      let files: string[] = [];
      try {
        files = expandInputPaths(paths);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        problems.push(error.message);
      }
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
      const clock = flags.at === undefined ? undefined : clockAt(flags.at);
      const wasm = new PackEvaluator(committedModules, clock);
      let evaluator: import('../policies/cel-eval').PolicyEvaluator = wasm;
      if (flags.engine === 'cel') {
        const { CelPackEvaluator } = await import('../policies/cel-eval');
        evaluator = new CelPackEvaluator(wasm);
      }
      const checker = new PackChecker(fleet, evaluator);
      const results: CheckResult[] = [];
      for (const input of inputs) results.push(await checker.check(input));
      const { policyCatalog } = await import('../policies/catalog');
      if (flags.output === 'sarif' || flags.output === 'junit') {
        const { junitReport, sarifReport } = await import('./check-formats');
        const { packageVersion } = await import('../lib/package-root');
        out(
          flags.output === 'sarif'
            ? sarifReport(results, policyCatalog(), packageVersion())
            : junitReport(results, policyCatalog()),
        );
      } else {
        out(
          (flags.output === 'json'
            ? jsonReport(results)
            : textReport(results, undefined, policyCatalog())
          ).join('\n'),
        );
      }
      process.exitCode = results.every((r) => r.allowed) ? EXIT.ok : EXIT.findings;
    });
}

/** `--at`: a fixed clock for time.now_ns, in nanoseconds. */
function clockAt(text: string): () => bigint {
  const ms = /^\d+$/.test(text)
    ? Number(text) * 1000
    : /^\d{4}-\d\d-\d\dT/.test(text)
      ? Date.parse(text)
      : NaN;
  if (!Number.isFinite(ms)) {
    throw new UsageError(`--at ${text}: not a time; use RFC 3339 (2026-01-01T00:01:00Z) or Unix seconds`);
  }
  const ns = BigInt(ms) * 1_000_000n;
  return () => ns;
}

/**
 * The offline what-if check: admission requests evaluated against the pack in WebAssembly, with the
 * constraints synthesized from the fleet exactly as `synth` writes them (the PolicyConstraints chart
 * of the same app), each applied only when its `match` selects the request, with its own parameters.
 */
import type { EnforcementAction, Fleet } from '../lib/fleet/schema';
import type { ReviewInput } from '../lib/admission/input';
import { App } from 'cdk8s';
import { appliedConstraints, constraintMatches, type AppliedConstraint } from './match';
import { PolicyConstraints } from './policy-pack';
import type { PolicyEvaluator } from './cel-eval';
import { committedModules, PackEvaluator } from './wasm';

export interface CheckViolation {
  /** Policy ID, e.g. AG501. */
  readonly policy: string;
  /** The enforcement action of the constraint that found it (warn and dryrun do not deny). */
  readonly action: EnforcementAction;
  /** The message exactly as the policy produced it (it leads with the ID in brackets). */
  readonly message: string;
}

export interface ReviewedObject {
  readonly kind: string;
  readonly namespace?: string;
  readonly name?: string;
}

export interface CheckResult {
  readonly file: string;
  readonly document: number;
  /** 1-based line where the object starts in its file, when read from one. */
  readonly line?: number;
  readonly object: ReviewedObject;
  /** No violation of a constraint in deny. */
  readonly allowed: boolean;
  /** Violations that deny the request. */
  readonly violations: readonly CheckViolation[];
  /** Violations of constraints in warn (the request goes through; kubectl prints a warning). */
  readonly warnings: readonly CheckViolation[];
  /** Violations of constraints in dryrun (only recorded by Gatekeeper's audit). */
  readonly dryrun: readonly CheckViolation[];
}

export class PackChecker {
  private readonly constraints: readonly AppliedConstraint[];

  /**
   * @param evaluator defaults to the modules committed under policies/wasm/ (no OPA needed); a
   * CelPackEvaluator answers with the templates' CEL instead, where they have it.
   */
  constructor(
    fleet: Fleet,
    private readonly evaluator: PolicyEvaluator = new PackEvaluator(committedModules),
  ) {
    // The chart synth/app.ts adds to the app, with the same props, so the objects are synth's own.
    this.constraints = appliedConstraints(new PolicyConstraints(new App(), 'policy-constraints', { fleet }));
  }

  async check(input: ReviewInput): Promise<CheckResult> {
    const found: CheckViolation[] = [];
    for (const constraint of this.constraints) {
      if (!constraintMatches(constraint.match, input.request)) continue;
      const results = await this.evaluator.evaluate(
        constraint.policy.folder,
        input.request,
        parametersFor(constraint.parameters, input.request),
      );
      const action = constraint.enforcementAction;
      found.push(...results.map((v) => ({ policy: constraint.policy.id, action, message: v.msg })));
    }
    found.sort((a, b) => a.policy.localeCompare(b.policy) || a.message.localeCompare(b.message));
    const violations = found.filter((v) => v.action === 'deny');
    return {
      file: input.file,
      document: input.document,
      ...(input.line !== undefined ? { line: input.line } : {}),
      object: reviewedObject(input.request),
      allowed: violations.length === 0,
      violations,
      warnings: found.filter((v) => v.action === 'warn'),
      dryrun: found.filter((v) => v.action === 'dryrun'),
    };
  }
}

/**
 * The constraint's parameters as the requesting identity can see them: `agents` narrowed to its own
 * entry. Every policy reads agents only through `input.parameters.agents[username]` (the shared
 * library's one lookup; a test keeps it so), so the result is the same, but opa-wasm copies the whole
 * input into the module for every evaluation: without this a review would cost more as the fleet grows.
 */
export function parametersFor(parameters: unknown, request: Record<string, unknown>): unknown {
  const agents = (parameters as { agents?: unknown } | null)?.agents;
  if (agents === null || typeof agents !== 'object') return parameters;
  const username = (request.userInfo as { username?: unknown } | undefined)?.username;
  const own =
    typeof username === 'string' && Object.hasOwn(agents, username)
      ? { [username]: (agents as Record<string, unknown>)[username] }
      : {};
  return { ...(parameters as object), agents: own };
}

function reviewedObject(request: Record<string, unknown>): ReviewedObject {
  const kind = (request.kind as { kind?: string } | undefined)?.kind ?? '';
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const namespace = text(request.namespace);
  const name =
    text(request.name) ?? text((request.object as { metadata?: { name?: unknown } } | null)?.metadata?.name);
  return { kind, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) };
}

/**
 * Validation of a fleet, from YAML or from TypeScript: schema errors and cross-field errors, all
 * reported together.
 */
import { z } from 'zod';
import {
  issuesToErrors,
  type FleetError,
  FleetValidationError,
  type Locate,
  type RuleError,
  toFleetErrors,
} from './errors';
import { policyCatalog } from '../../policies/catalog';
import { agentRules, enforcementRules, exemptionRules, fleetRules } from './rules';
import { agentIssuerErrors, checkIssuers } from './issuers';
import { knownKeysIn } from './schema-keys';
import { cite } from '../invariants';
import { GUARDRAIL_KINDS } from '../kinds';
import {
  AgentSchema,
  ExemptionSchema,
  FleetEnforcementSchema,
  FleetAttributionSchema,
  FleetSchema,
  ImagePolicySchema,
  KillSwitchSettingsSchema,
  VaultSettingsSchema,
  type Agent,
  type Fleet,
  type FleetInput,
} from './schema';

export type { Locate } from './errors';

export type ValidationResult = { ok: true; fleet: Fleet } | { ok: false; errors: FleetError[] };

/**
 * Validates a parsed fleet document. `locate` maps a path to a source position, when there is a
 * source; `baseDir` is where relative files (an issuer's jwksFile) are read from: the fleet file's
 * folder, or the working directory for a fleet built in TypeScript.
 */
export function validateFleet(
  raw: unknown,
  locate: Locate = () => undefined,
  baseDir: string = process.cwd(),
): ValidationResult {
  const parsed = FleetSchema.safeParse(raw, { reportInput: true });
  const found: RuleError[] = parsed.success
    ? []
    : issuesToErrors(parsed.error.issues, knownKeysAt, explainValue);
  const issuers = checkIssuers(field(raw, 'spec'), baseDir);
  found.push(...crossFieldErrors(raw), ...issuers.errors);

  if (found.length === 0 && parsed.success) {
    // Keys read from files are carried inline from here on: synth never reads them again.
    const fleet = parsed.data;
    for (const [i, jwks] of issuers.filed) {
      fleet.spec.attribution.issuers[i] = { ...fleet.spec.attribution.issuers[i], jwks: jwks as never };
    }
    return { ok: true, fleet };
  }
  return { ok: false, errors: toFleetErrors(found, locate) };
}

/** Builds a fleet in TypeScript, without YAML; throws FleetValidationError listing every problem. */
export function defineFleet(input: FleetInput): Fleet {
  const result = validateFleet(input);
  if (!result.ok) throw new FleetValidationError(result.errors);
  return result.fleet;
}

function crossFieldErrors(raw: unknown): RuleError[] {
  const spec = field(raw, 'spec');
  const rawAgents = field(spec, 'agents');
  if (!Array.isArray(rawAgents)) return [];
  const imagePolicy = ImagePolicySchema.safeParse(field(spec, 'imagePolicy') ?? {});
  const vault = VaultSettingsSchema.safeParse(field(spec, 'vault') ?? {});
  const killSwitch = KillSwitchSettingsSchema.safeParse(field(spec, 'killSwitch') ?? {});
  const ctx = {
    allowTagsFrom: imagePolicy.success ? imagePolicy.data.allowTagsFrom : [],
    vaultNamespace: vault.success ? vault.data.namespace : 'vault',
    killSwitchNamespace: killSwitch.success ? killSwitch.data.namespace : 'agentguard-system',
  };
  const agents = rawAgents.map((raw, index) => ({ index, ...lenientAgent(raw) }));
  // The policy catalog is generated from rego/, upstream of everything; only its IDs are read here.
  const settings = {
    policyIds: policyCatalog().map((p) => p.id),
    agents,
    killSwitchNamespace: ctx.killSwitchNamespace,
    vaultNamespace: ctx.vaultNamespace,
  };
  const enforcement = FleetEnforcementSchema.safeParse(field(spec, 'enforcement') ?? {});
  const rawExemptions = field(spec, 'exemptions');
  const exemptions = (Array.isArray(rawExemptions) ? rawExemptions : []).map((e) =>
    ExemptionSchema.safeParse(e),
  );
  const attribution = FleetAttributionSchema.safeParse(field(spec, 'attribution') ?? {});
  const issuerNames = attribution.success ? attribution.data.issuers.map((i) => i.name) : [];
  return [
    ...enforcementRules(enforcement.success ? enforcement.data : undefined, settings),
    // An exemption that does not parse is reported by the schema; its index stays its own.
    ...exemptionRules(
      exemptions.map((e) =>
        e.success ? e.data : { policies: [], namespaces: [], objects: [], reason: '', approvedBy: '' },
      ),
      settings,
    ),
    ...agents
      .filter(({ valid }) => valid.has('attribution'))
      .flatMap(({ index, agent }) =>
        agentIssuerErrors(agent, issuerNames, (...rest) => ['spec', 'agents', index, ...rest]),
      ),
    ...fleetRules(
      agents,
      rawAgents.map((a) => field(a, 'name')),
    ),
    ...agents.flatMap(({ index, agent, valid }) => agentRules(agent, index, ctx, valid)),
  ];
}

/**
 * Parses each top-level field of an agent on its own, so cross-field rules can still run on the
 * fields that are valid. Invalid fields fall back to their default, and are left out of `valid`.
 */
function lenientAgent(raw: unknown): { agent: Agent; valid: Set<string> } {
  const agent: Record<string, unknown> = {};
  const valid = new Set<string>();
  for (const [key, schema] of Object.entries(AgentSchema.shape)) {
    const own = (schema as z.ZodType).safeParse(field(raw, key));
    if (own.success) {
      agent[key] = own.data;
      valid.add(key);
    } else {
      const fallback = (schema as z.ZodType).safeParse(undefined);
      if (fallback.success) agent[key] = fallback.data;
    }
  }
  return { agent: agent as Agent, valid };
}

function explainValue(input: unknown): string | undefined {
  return typeof input === 'string' && GUARDRAIL_KINDS.includes(input)
    ? `is a guardrail kind that no agent may be given ${cite('I2')}`
    : undefined;
}

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** Keys the fleet schema allows at a path, for "did you mean" hints on unknown keys. */
export const knownKeysAt = knownKeysIn(FleetSchema);

/**
 * The CEL side of the pack. Each policy CEL can express has rego/<folder>/policy.cel.yaml beside its
 * Rego: variables and validations whose messages are the Rego's, word for word. The shared variables
 * (rego/lib/agentguard.cel.yaml) come first. `npm run policies` writes the result into the template as
 * a `K8sNativeValidation` code block; synth's ValidatingAdmissionPolicies take it from there, so the
 * CEL exists once. Policies without a CEL file keep Rego only (see CEL_UNSUPPORTED for why).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { LIB_FOLDER, REGO_DIR } from './catalog';

export const CEL_ENGINE = 'K8sNativeValidation';
export const CEL_FILE = 'policy.cel.yaml';
export const CEL_LIBRARY = join(LIB_FOLDER, 'agentguard.cel.yaml');

export interface CelVariable {
  readonly name: string;
  readonly expression: string;
}
export interface CelValidation {
  readonly expression: string;
  readonly messageExpression: string;
  /** Static fallback the engines use when messageExpression fails: "[AGxxx] <title>". */
  readonly message?: string;
}
/** The `source` of a K8sNativeValidation code block. */
export interface CelSource {
  /** false: Gatekeeper must not turn the template into a ValidatingAdmissionPolicy of its own. */
  readonly generateVAP: boolean;
  readonly variables: CelVariable[];
  readonly validations: CelValidation[];
}

/**
 * Policies that keep Rego only, and why. Everything else has a policy.cel.yaml; a test holds the two
 * lists together.
 */
export const CEL_UNSUPPORTED: Readonly<Record<string, string>> = {
  attribution:
    'AG301 verifies signed delegation tokens (io.jwt.verify_*, JWKS) and matches initiator globs that must not cross "@" (glob.match with delimiters); Kubernetes CEL has neither JWT verification nor glob matching',
  'deletion-by-proxy':
    'AG102 compares owner references, finalizers and retention fields between object and oldObject across many kinds; not yet translated',
};

/**
 * The one intentional difference between the engines, by policy folder: a CEL validation yields at
 * most one message, so where the Rego reports one violation per container, volume or field, the CEL
 * joins one rule's messages with "; ". Each part is the Rego's message word for word; celAsRego()
 * splits them back, and the engines test compares the result with the Rego exactly.
 */
export const CEL_JOINS_MESSAGES: Readonly<Record<string, string>> = {
  'hardened-pods':
    'one message per rule, its per-container (or per-volume, per-field) messages joined with "; "',
  'agent-pods': 'as AG701: one message per rule, its messages joined with "; "',
  'agent-exposure':
    'one message per rule; its per-range, per-annotation and per-TLS-Secret messages joined with "; "',
};

/** CEL messages as the Rego's: joined ones split at "; [AGxxx] ", duplicates removed, sorted. */
export function celAsRego(messages: readonly string[]): string[] {
  return [...new Set(messages.flatMap((m) => m.split(/; (?=\[AG\d{3}\] )/)))].sort();
}

const RESERVED = new Set(['params', 'anyObject']);

function readCelFile(
  path: string,
  where: string,
): { variables: CelVariable[]; validations: CelValidation[] } {
  const raw = parse(readFileSync(path, 'utf8')) as unknown;
  if (typeof raw !== 'object' || raw === null) throw new Error(`${where}: not a YAML mapping`);
  const { variables = [], validations = [], ...rest } = raw as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0)
    throw new Error(`${where}: unknown field ${extra[0]}; only variables and validations`);
  if (!Array.isArray(variables)) throw new Error(`${where}: variables must be a list`);
  if (!Array.isArray(validations)) throw new Error(`${where}: validations must be a list`);
  const text = (value: unknown, path: string): string => {
    if (typeof value !== 'string' || value.trim() === '')
      throw new Error(`${where}: ${path} must be a non-empty string`);
    return value;
  };
  return {
    variables: variables.map((v: Record<string, unknown>, i) => {
      const name = text(v?.name, `variables[${i}].name`);
      if (RESERVED.has(name))
        throw new Error(`${where}: variables[${i}].name "${name}" is reserved by Gatekeeper`);
      return { name, expression: text(v.expression, `variables[${i}].expression`) };
    }),
    validations: validations.map((v: Record<string, unknown>, i) => ({
      expression: text(v?.expression, `validations[${i}].expression`),
      messageExpression: text(v.messageExpression, `validations[${i}].messageExpression`),
    })),
  };
}

/** The K8sNativeValidation source of one policy, or undefined when it keeps Rego only. */
export function loadCelSource(folder: string, policyId: string, title: string): CelSource | undefined {
  const file = join(REGO_DIR, folder, CEL_FILE);
  if (!existsSync(file)) return undefined;
  const lib = readCelFile(join(REGO_DIR, CEL_LIBRARY), `rego/${CEL_LIBRARY}`);
  const own = readCelFile(file, `rego/${folder}/${CEL_FILE}`);
  const names = [...lib.variables, ...own.variables].map((v) => v.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice)
    throw new Error(`rego/${folder}/${CEL_FILE}: variable ${twice} is defined twice (also in the library?)`);
  if (own.validations.length === 0) throw new Error(`rego/${folder}/${CEL_FILE}: no validations`);
  return {
    generateVAP: false,
    variables: [...lib.variables, ...own.variables],
    validations: own.validations.map((v) => ({
      expression: v.expression,
      messageExpression: v.messageExpression,
      message: `[${policyId}] ${title}: denied by agentguard`,
    })),
  };
}

/** The K8sNativeValidation source inside a generated template, if it has one. */
export function templateCelSource(template: Record<string, unknown>): CelSource | undefined {
  const targets = (template as { spec: { targets: { code: { engine: string; source: unknown }[] }[] } }).spec
    .targets;
  return targets[0].code.find((c) => c.engine === CEL_ENGINE)?.source as CelSource | undefined;
}

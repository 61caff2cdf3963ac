/**
 * The pack's CEL evaluated offline by @bufbuild/cel, a maintained CEL evaluator for JavaScript
 * (conformance-tested against cel-spec), with the `strings` extension the CEL uses (split,
 * lowerAscii). It answers as Gatekeeper does with both engines present: a policy with a
 * K8sNativeValidation block is evaluated by its CEL, any other by its Rego (the WASM fallback).
 *
 * The request is given as Gatekeeper gives it to CEL: JSON, where an absent field is absent (the
 * expressions read optional fields through has()), whole numbers as int and others as double, and
 * `object` null on DELETE. Variables are evaluated in order, as Kubernetes composes them; one that
 * fails is left unbound, so an expression that reads it fails too, and a failing validation is a
 * violation naming the error, as under Gatekeeper and the API server (failurePolicy Fail).
 *
 * What it does not have: the Kubernetes CEL libraries beyond `strings` (quantity, url, ip, cidr,
 * authorizer, regex helpers); the pack's CEL uses none of them, and an expression that did would fail
 * here with "unbound function" rather than pass.
 */
import { celEnv, isCelError, parse, plan, type CelResult } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { policyByFolder } from './catalog';
import { templateCelSource, type CelSource } from './cel';
import type { Violation } from './wasm';

/** What PackChecker needs of an engine. */
export interface PolicyEvaluator {
  evaluate(folder: string, review: unknown, parameters: unknown): Promise<Violation[]>;
}

/** JSON as CEL values: objects as maps, whole numbers as int (bigint), other numbers as double. */
export function celValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(celValue);
  if (value !== null && typeof value === 'object') {
    return new Map(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, celValue(v)]));
  }
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  return value;
}

type Program = (bindings: Record<string, unknown>) => CelResult;

interface Compiled {
  readonly variables: ReadonlyArray<{ name: string; run: Program }>;
  readonly validations: ReadonlyArray<{
    expression: string;
    run: Program;
    message: Program;
    fallback: string;
  }>;
}

const errorText = (result: unknown): string => (result as { message?: string }).message ?? String(result);

export class CelPackEvaluator implements PolicyEvaluator {
  private readonly env = celEnv({ funcs: strings } as Parameters<typeof celEnv>[0]);
  private readonly compiled = new Map<string, Compiled>();

  /** @param rego evaluates the policies that keep Rego only (the WASM modules). */
  constructor(private readonly rego: PolicyEvaluator) {}

  /** Whether a policy folder has CEL (otherwise its Rego answers). */
  static hasCel(folder: string): boolean {
    return templateCelSource(policyByFolder(folder).template) !== undefined;
  }

  private program(expression: string, where: string): Program {
    try {
      return plan(this.env, parse(expression)) as unknown as Program;
    } catch (error) {
      throw new Error(`${where}: CEL does not parse: ${(error as Error).message}`);
    }
  }

  private compile(folder: string, source: CelSource): Compiled {
    let done = this.compiled.get(folder);
    if (!done) {
      done = {
        variables: source.variables.map((v) => ({
          name: v.name,
          run: this.program(v.expression, `rego/${folder} variable ${v.name}`),
        })),
        validations: source.validations.map((v, i) => ({
          expression: v.expression,
          run: this.program(v.expression, `rego/${folder} validation ${i}`),
          message: this.program(v.messageExpression, `rego/${folder} validation ${i} message`),
          fallback: v.message ?? '',
        })),
      };
      this.compiled.set(folder, done);
    }
    return done;
  }

  readonly evaluate = async (folder: string, review: unknown, parameters: unknown): Promise<Violation[]> => {
    const source = templateCelSource(policyByFolder(folder).template);
    if (!source) return this.rego.evaluate(folder, review, parameters);
    const program = this.compile(folder, source);
    const request = (review ?? {}) as Record<string, unknown>;
    const variables = new Map<string, unknown>([['params', celValue(parameters ?? null)]]);
    const bindings = {
      request: celValue(request),
      object: request.operation === 'DELETE' ? null : celValue(request.object ?? null),
      oldObject: celValue(request.oldObject ?? null),
      variables,
    };
    for (const v of program.variables) {
      const result = v.run(bindings);
      if (!isCelError(result)) variables.set(v.name, result);
    }
    const violations: Violation[] = [];
    for (const v of program.validations) {
      const result = v.run(bindings);
      if (result === true) continue;
      if (isCelError(result)) {
        violations.push({ msg: `expression '${v.expression}' resulted in error: ${errorText(result)}` });
        continue;
      }
      if (result !== false) {
        violations.push({ msg: `expression '${v.expression}' did not evaluate to a bool` });
        continue;
      }
      const message = v.message(bindings);
      violations.push({ msg: typeof message === 'string' ? message : v.fallback });
    }
    return violations;
  };
}

/**
 * gator verify suites built from reviews: the real Gatekeeper engine checks each review against the
 * generated template and the example fleet's constraint, with the exact violation count and messages
 * as assertions. Suites are written to a scratch folder; gator reads them from there.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { constraintName } from '../../policies/policy-pack';
import { policyByFolder, templateFile } from '../../policies/catalog';
import type { PolicyConstraints } from '../../policies/policy-pack';
import { admissionReview, EXAMPLE_FLEET_NAME, exampleConstraints } from './reviews';
import { runTool, type ToolRun } from './tools';

export interface GatorCase {
  readonly name: string;
  readonly request: Record<string, unknown>;
  /** Exact messages expected; gator asserts the count and each message. */
  readonly messages: readonly string[];
}

/** Regex matching exactly one literal message, as gator's `message` assertion takes a regex. */
const literal = (text: string): string => `^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;

/**
 * Which of a template's engines gator evaluates. With a K8sNativeValidation block present, gator (like
 * Gatekeeper) runs CEL, whose driver has priority; `rego` turns that driver off, so the same template
 * is evaluated by its Rego. A template without CEL is evaluated by Rego either way.
 */
export type GatorEngine = 'rego' | 'cel';

/** The constraints a suite checks against: by default the example fleet's. */
export interface GatorFleet {
  readonly name: string;
  readonly constraints: PolicyConstraints;
}

/** Runs `gator verify` over one suite per policy folder; returns the run and keeps nothing on disk. */
export function gatorVerify(
  casesByFolder: ReadonlyMap<string, readonly GatorCase[]>,
  fleet: GatorFleet = { name: EXAMPLE_FLEET_NAME, constraints: exampleConstraints() },
  engine: GatorEngine = 'rego',
  /** Templates to use instead of the generated ones, by folder (to prove a check can fail). */
  templates: ReadonlyMap<string, Record<string, unknown>> = new Map(),
): ToolRun {
  const dir = mkdtempSync(join(tmpdir(), 'agentguard-gator-'));
  try {
    const constraints = new Map(
      fleet.constraints
        .toJson()
        .map((o) => [(o as { metadata: { name: string } }).metadata.name, o] as const),
    );
    const tests = [];
    for (const [folder, cases] of casesByFolder) {
      const policy = policyByFolder(folder);
      mkdirSync(join(dir, folder, 'cases'), { recursive: true });
      // gator resolves every path inside the suite folder, so the generated template is copied in.
      const own = templates.get(folder);
      if (own) writeFileSync(join(dir, folder, 'template.yaml'), stringify(own, { lineWidth: 0 }));
      else copyFileSync(templateFile(folder), join(dir, folder, 'template.yaml'));
      writeFileSync(
        join(dir, folder, 'constraint.yaml'),
        stringify(constraints.get(constraintName(policy, fleet.name))),
      );
      tests.push({
        name: folder,
        template: join(folder, 'template.yaml'),
        constraint: join(folder, 'constraint.yaml'),
        cases: cases.map((c, i) => {
          const file = join(folder, 'cases', `${i}.yaml`);
          writeFileSync(join(dir, file), stringify(admissionReview(c.request), { lineWidth: 0 }));
          return {
            name: c.name,
            object: file,
            assertions: [
              { violations: c.messages.length },
              ...[...new Set(c.messages)].map((m) => ({
                violations: c.messages.filter((x) => x === m).length,
                message: literal(m),
              })),
            ],
          };
        }),
      });
    }
    writeFileSync(
      join(dir, 'suite.yaml'),
      stringify({ kind: 'Suite', apiVersion: 'test.gatekeeper.sh/v1alpha1', tests }),
    );
    return runTool('gator', [
      'verify',
      `--enable-k8s-native-validation=${engine === 'cel' ? 'true' : 'false'}`,
      dir,
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

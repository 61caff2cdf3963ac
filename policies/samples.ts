/**
 * Policy samples: real AdmissionReview files under rego/<policy>/samples/{allowed,denied}/, and the
 * exact violations each must produce in samples/expected.yaml. The same files feed the WASM tests,
 * the gator suites and the generated docs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REGO_DIR } from './catalog';

export type Verdict = 'allowed' | 'denied';

export interface AdmissionRequest {
  readonly operation: string;
  readonly userInfo?: { readonly username?: string };
  readonly [field: string]: unknown;
}

export interface Sample {
  readonly folder: string;
  /** Path relative to the policy's samples folder, e.g. denied/shadow-agent-patches.yaml. */
  readonly file: string;
  readonly absolutePath: string;
  readonly verdict: Verdict;
  /** The comment on the file's first line. */
  readonly description: string;
  readonly request: AdmissionRequest;
  readonly expected: readonly string[];
}

const samplesDir = (folder: string): string => join(REGO_DIR, folder, 'samples');

export function loadSamples(folder: string): Sample[] {
  const dir = samplesDir(folder);
  const expectedFile = join(dir, 'expected.yaml');
  const expected = (existsSync(expectedFile) ? parse(readFileSync(expectedFile, 'utf8')) : {}) as Record<
    string,
    string[] | undefined
  >;
  const samples: Sample[] = [];
  for (const verdict of ['allowed', 'denied'] as const) {
    const sub = join(dir, verdict);
    if (!existsSync(sub)) continue;
    for (const name of readdirSync(sub)
      .filter((n) => n.endsWith('.yaml'))
      .sort()) {
      const file = `${verdict}/${name}`;
      const text = readFileSync(join(sub, name), 'utf8');
      const review = parse(text) as { request?: AdmissionRequest };
      if (!review.request)
        throw new Error(`rego/${folder}/samples/${file}: not an AdmissionReview with a request`);
      const messages = expected[file];
      if (messages === undefined) {
        throw new Error(
          `rego/${folder}/samples/expected.yaml: no entry for ${file}; add "${file}: []" or its messages`,
        );
      }
      samples.push({
        folder,
        file,
        absolutePath: join(sub, name),
        verdict,
        description: /^#\s*(.+)$/m.exec(text)?.[1] ?? name,
        request: review.request,
        expected: messages,
      });
    }
  }
  return samples;
}

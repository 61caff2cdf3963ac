/**
 * Every sample under rego/<policy>/samples/ produces exactly its expected violations, in WASM
 * (opa-wasm, Gatekeeper's input shape) and in the real Gatekeeper engine (gator verify).
 */
import { policyCatalog, policyFolders } from '../../policies/catalog';
import { loadSamples } from '../../policies/samples';
import type { PackParameters } from '../../policies/parameters';
import { gatorFailures, gatorVerify } from '../support/gator';
import { exampleParameters } from '../support/reviews';
import { messages } from '../../policies/wasm';
import { regoPack } from '../../policies/wasm-build';
import { freshSample, SAMPLE_NOW, seconds } from '../support/delegation';

const { evaluate } = regoPack;

const folders = policyFolders();

describe.each(folders)('rego/%s samples', (folder) => {
  const samples = loadSamples(folder);
  const parameters = () => exampleParameters()[folder as keyof PackParameters];

  it('has at least one allowed and one denied sample', () => {
    expect(samples.some((s) => s.verdict === 'allowed')).toBe(true);
    expect(samples.some((s) => s.verdict === 'denied')).toBe(true);
  });

  it.each(samples.map((s) => [s.file, s] as const))(
    '%s gives exactly its expected violations in WASM',
    async (_, sample) => {
      // Delegation tokens in samples were minted for SAMPLE_EPOCH: WASM pins its clock after it.
      const violations = await evaluate(folder, sample.request, parameters(), () => seconds(SAMPLE_NOW));
      expect(messages(violations)).toEqual([...sample.expected].sort());
      if (sample.verdict === 'denied') expect(violations.length).toBeGreaterThan(0);
      else expect(violations).toEqual([]);
    },
  );

  it('leads every message with the policy ID from its METADATA', async () => {
    const id = policyCatalog().find((p) => p.folder === folder)?.id;
    for (const sample of samples) {
      for (const m of sample.expected) expect(m.startsWith(`[${id}] `)).toBe(true);
    }
  });
});

describe('gator verify (the real Gatekeeper engine)', () => {
  it('agrees with every sample, message for message', async () => {
    // gator reads the real clock (it cannot be given another): tokens are re-signed relative to now.
    const now = Math.floor(Date.now() / 1000);
    const suites = new Map(
      await Promise.all(
        folders.map(
          async (folder) =>
            [
              folder,
              await Promise.all(
                loadSamples(folder).map(async (s) => ({
                  name: s.file,
                  request: await freshSample(s.request as unknown as Record<string, unknown>, now),
                  messages: s.expected,
                })),
              ),
            ] as const,
        ),
      ),
    );
    const run = gatorVerify(suites);
    expect(gatorFailures(run, /FAIL/)).toEqual([]);
    expect(run.status).toBe(0);
  });

  it('fails a case whose expectation is wrong (the check can fail)', () => {
    const [sample] = loadSamples('kill-switch').filter((s) => s.verdict === 'denied');
    const run = gatorVerify(
      new Map([['kill-switch', [{ name: 'wrong', request: sample.request, messages: [] }]]]),
    );
    expect(run.status).not.toBe(0);
    expect(run.stdout + run.stderr).toMatch(/FAIL/);
    // The filter every gator suite checks with sees it too.
    expect(gatorFailures(run, /FAIL/)).not.toEqual([]);
  });
});

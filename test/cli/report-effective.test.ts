/**
 * The report's effective access (synth/report/effective.ts) reads the admission pack's parameters;
 * this holds it to the Rego itself. For every verb a bound Role grants, the request is evaluated by
 * the compiled policies (PackChecker, as `agentguard check` does), as a plain request and as a
 * server-side dry-run, and the verdict of the verb gates (AG101, AG501, AG601) must be what the
 * report draws: allowed, dry-run only, or absent; with a note exactly when a gate in warn or dryrun
 * spoke.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFleetFile } from '../../lib/fleet/load';
import type { Fleet } from '../../lib/fleet/schema';
import { MANAGEABLE_KINDS } from '../../lib/kinds';
import { PackChecker } from '../../policies/check';
import { resourceKeyOf } from '../../synth/report/effective';
import { fleetReach } from '../../synth/report/reach';
import { EXAMPLE_FLEET } from '../support/cli';
import { attributed, request, SCALE_KIND } from '../support/reviews';
import { REPO_ROOT } from '../../tools/toolchain';

const GATES = new Set(['AG101', 'AG501', 'AG601']);
const OPERATION: Record<string, 'CREATE' | 'UPDATE' | 'DELETE'> = {
  create: 'CREATE',
  update: 'UPDATE',
  patch: 'UPDATE',
  delete: 'DELETE',
};

type Drawn = 'allowed' | 'dry-run only' | 'absent';

async function compare(fleet: Fleet) {
  const checker = new PackChecker(fleet);
  const mismatches: string[] = [];
  let compared = 0;
  for (const reach of fleetReach(fleet)) {
    for (const row of reach.access.filter((r) => r.bound)) {
      for (const resource of row.resources) {
        const [base, sub] = resource.split('/');
        const info = Object.values(MANAGEABLE_KINDS).find(
          (k) => k.group === row.apiGroup && k.resource === base,
        );
        if (!info) throw new Error(`no kind for ${resource} in ${row.apiGroup}`);
        const key = resourceKeyOf(row.apiGroup, resource);
        for (const verb of row.verbs.filter((v) => OPERATION[v])) {
          const gated = async (dryRun: boolean) => {
            const object = {
              apiVersion: info.group === '' ? info.version : `${info.group}/${info.version}`,
              kind: info.kind,
              metadata: attributed('x', row.namespace, 'sre-alice@shop.example'),
            };
            const result = await checker.check({
              file: 'effective',
              document: 1,
              request: request({
                operation: OPERATION[verb],
                user: reach.username,
                kind: info,
                namespace: row.namespace,
                name: 'x',
                object,
                oldObject: OPERATION[verb] === 'CREATE' ? undefined : object,
                ...(sub ? { subResource: sub, subResourceKind: SCALE_KIND } : {}),
                dryRun,
              }),
            });
            return {
              denied: result.violations.some((v) => GATES.has(v.policy)),
              relaxed: [...result.warnings, ...result.dryrun].some((v) => GATES.has(v.policy)),
            };
          };
          const [plain, dry] = [await gated(false), await gated(true)];
          const rego: Drawn = !plain.denied ? 'allowed' : !dry.denied ? 'dry-run only' : 'absent';
          const drawnRow = reach.effective.find(
            (e) => e.namespace === row.namespace && e.resources.includes(key) && e.verbs.includes(verb),
          );
          const drawn: Drawn = drawnRow?.mode ?? 'absent';
          const noted = (drawnRow?.notBlockedBy.length ?? 0) > 0;
          compared += 1;
          if (drawn !== rego || (drawn === 'allowed' && noted !== plain.relaxed)) {
            mismatches.push(
              `${reach.name} ${verb} ${key} in ${row.namespace}: report ${drawn}${noted ? ' (noted)' : ''}, Rego ${rego}${plain.relaxed ? ' (relaxed)' : ''}`,
            );
          }
        }
      }
    }
  }
  return { compared, mismatches };
}

describe('effective access agrees with the compiled Rego', () => {
  it('the example fleet: every phase, a delete exception, an engaged kill switch', async () => {
    const { compared, mismatches } = await compare(loadFleetFile(EXAMPLE_FLEET));
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(20);
  });

  it('staged rollouts: AG501 and AG101 in warn or dryrun narrow nothing, and say so', async () => {
    const work = mkdtempSync(join(tmpdir(), 'agentguard-effective-'));
    const fleet = join(work, 'fleet.yaml');
    writeFileSync(
      fleet,
      readFileSync(EXAMPLE_FLEET, 'utf8')
        .replace(
          '      phase: advisory\n',
          '      phase: advisory\n      enforcement:\n        action: deny\n        policies: { AG501: warn }\n        until: "2099-01-01"\n        reason: measuring AG501\n',
        )
        .replace(
          '      phase: autonomous\n',
          '      phase: autonomous\n      enforcement:\n        action: deny\n        policies: { AG101: dryrun, AG501: warn }\n        until: "2099-01-01"\n        reason: measuring\n',
        ),
    );
    const { compared, mismatches } = await compare(loadFleetFile(fleet));
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(20);
    const data = await compare(loadFleetFile(join(REPO_ROOT, 'examples', 'fleet-data.yaml')));
    expect(data.mismatches).toEqual([]);
  });
});

/**
 * The hardened-pods policy knows its pod-carrying kinds twice: the Rego finds the pod spec per kind,
 * and the constraint's match (POD_KINDS) decides which requests Gatekeeper sends it. A kind in one
 * list and not the other is either never checked or never sent, so the two must be the same set.
 */
import { join } from 'node:path';
import { REGO_DIR, LIB_FOLDER } from '../../policies/catalog';
import { POD_KINDS } from '../../policies/policy-pack';
import { runTool } from '../support/tools';

const POLICY = join(REGO_DIR, 'hardened-pods', 'policy.rego');
const LIB = join(REGO_DIR, LIB_FOLDER, 'agentguard.rego');

/** Asks the real OPA which kinds yield a pod spec, each as the Rego spells it ("group/Kind"). */
function regoPodKinds(candidates: readonly string[]): string[] {
  const found: string[] = [];
  for (const key of candidates) {
    const [group, kind] = key.split('/');
    const spec = { containers: [] };
    const object =
      kind === 'Pod'
        ? { spec }
        : kind === 'CronJob'
          ? { spec: { jobTemplate: { spec: { template: { spec } } } } }
          : { spec: { template: { spec } } };
    const input = JSON.stringify({ review: { kind: { group, kind }, object }, parameters: {} });
    const run = runTool(
      'opa',
      [
        'eval',
        '--format',
        'raw',
        '--stdin-input',
        '-d',
        POLICY,
        '-d',
        LIB,
        'is_object(data.agentguard.hardened_pods.pod_spec)',
      ],
      input,
    );
    if (run.status !== 0) throw new Error(run.stderr);
    if (run.stdout.trim() === 'true') found.push(key);
  }
  return found.sort();
}

const matched = POD_KINDS.flatMap((m) => m.apiGroups.flatMap((g) => m.kinds.map((k) => `${g}/${k}`))).sort();

describe('hardened-pods kinds', () => {
  it('the Rego finds a pod spec in exactly the kinds the constraint matches', () => {
    const others = [
      'apps/ControllerRevision',
      '/Service',
      'batch/Other',
      'apps/Pod',
      'extensions/Deployment',
    ];
    expect(regoPodKinds([...matched, ...others])).toEqual(matched);
  });

  it('matches every built-in kind that carries a pod template', () => {
    expect(matched).toEqual([
      '/Pod',
      '/ReplicationController',
      'apps/DaemonSet',
      'apps/Deployment',
      'apps/ReplicaSet',
      'apps/StatefulSet',
      'batch/CronJob',
      'batch/Job',
    ]);
  });
});

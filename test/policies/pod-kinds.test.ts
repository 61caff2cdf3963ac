/**
 * Where a request carries pods. The shared pod library finds pod specs by shape (a Pod's spec, any
 * object's spec.template.spec, a CronJob's job template, a PodTemplate), so AG202 follows an agent
 * into every kind that runs pods, custom workloads included. AG701's constraint selects requests by
 * kind (POD_KINDS): every built-in kind that carries a pod must be in it, or Gatekeeper never sends
 * that kind to the policy.
 */
import { join } from 'node:path';
import { libraryFiles, REGO_DIR } from '../../policies/catalog';
import { POD_KINDS } from '../../policies/policy-pack';
import { runTool } from '../support/tools';

/** Asks the real OPA for the field paths of the pod specs the library finds in an object. */
function podSpecPaths(group: string, kind: string, object: Record<string, unknown>): string[] {
  const input = JSON.stringify({ review: { kind: { group, kind }, object }, parameters: {} });
  const run = runTool(
    'opa',
    [
      'eval',
      '--format',
      'raw',
      '--stdin-input',
      ...libraryFiles().flatMap((file) => ['-d', join(REGO_DIR, file)]),
      'json.marshal(sort([path | some [path, _] in data.lib.pods.pod_specs]))',
    ],
    input,
  );
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout.trim()) as string[];
}

const spec = { containers: [{ name: 'app', image: 'x' }] };

describe('pod specs in a request', () => {
  it.each([
    ['', 'Pod', { spec }, ['spec']],
    ['apps', 'Deployment', { spec: { template: { spec } } }, ['spec.template.spec']],
    ['apps', 'StatefulSet', { spec: { template: { spec } } }, ['spec.template.spec']],
    ['apps', 'DaemonSet', { spec: { template: { spec } } }, ['spec.template.spec']],
    ['apps', 'ReplicaSet', { spec: { template: { spec } } }, ['spec.template.spec']],
    ['', 'ReplicationController', { spec: { template: { spec } } }, ['spec.template.spec']],
    ['batch', 'Job', { spec: { template: { spec } } }, ['spec.template.spec']],
    [
      'batch',
      'CronJob',
      { spec: { jobTemplate: { spec: { template: { spec } } } } },
      ['spec.jobTemplate.spec.template.spec'],
    ],
    ['', 'PodTemplate', { template: { spec } }, ['template.spec']],
    // Custom workloads run pods from a template too (Argo Rollouts, Knative Services).
    ['argoproj.io', 'Rollout', { spec: { template: { spec } } }, ['spec.template.spec']],
    ['serving.knative.dev', 'Service', { spec: { template: { spec } } }, ['spec.template.spec']],
  ] as const)('%s/%s carries a pod at %j', (group, kind, object, paths) => {
    expect(podSpecPaths(group, kind, object)).toEqual(paths);
  });

  it.each([
    ['', 'Service', { spec: { ports: [] } }],
    ['', 'ConfigMap', { data: { spec: 'x' } }],
    ['apps', 'ControllerRevision', { data: { spec: { template: { spec } } } }],
    // A look-alike Pod kind from another group carries no pod spec of its own.
    ['apps', 'Pod', { spec }],
    // A template without containers is not a pod (a KubeVirt VirtualMachine's, for one).
    ['kubevirt.io', 'VirtualMachine', { spec: { template: { spec: { domain: {} } } } }],
  ] as const)('%s/%s carries no pod', (group, kind, object) => {
    expect(podSpecPaths(group, kind, object)).toEqual([]);
  });
});

describe('AG701 constraint kinds', () => {
  it('match every built-in kind that carries a pod', () => {
    const matched = POD_KINDS.flatMap((m) => m.apiGroups.flatMap((g) => m.kinds.map((k) => `${g}/${k}`)));
    expect(matched.sort()).toEqual([
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

/** Synthesizing fleets in memory and looking objects up, for construct tests. */
import type { Chart } from 'cdk8s';
import type { Fleet } from '../../lib/fleet/schema';
import { buildApp } from '../../synth/app';

// Manifests are plain JSON from cdk8s; tests read them structurally.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Manifest = Record<string, any>;

export function synthObjects(fleet: Fleet): Manifest[] {
  return buildApp(fleet).agents.flatMap((chart: Chart) => chart.toJson() as Manifest[]);
}

export function ofKind(objects: readonly Manifest[], kind: string, namespace?: string): Manifest[] {
  return objects.filter(
    (o) => o.kind === kind && (namespace === undefined || o.metadata?.namespace === namespace),
  );
}

/**
 * Whether a NetworkPolicy allows anything. NetworkPolicies only add allowances, so a pod cut off from
 * the network is one that no policy with rules selects; the default deny has none.
 */
export const hasAllowances = (policy: Manifest): boolean =>
  (policy.spec.egress ?? []).length > 0 || (policy.spec.ingress ?? []).length > 0;

/** Pod templates of every workload kind we emit. */
export function podTemplates(objects: readonly Manifest[]): Array<{ owner: string; template: Manifest }> {
  return objects.flatMap((o) => {
    if (o.kind === 'Deployment' || o.kind === 'Job')
      return [{ owner: `${o.kind}/${o.metadata.name}`, template: o.spec.template }];
    if (o.kind === 'CronJob')
      return [{ owner: `CronJob/${o.metadata.name}`, template: o.spec.jobTemplate.spec.template }];
    return [];
  });
}

/** Every I7 setting a pod template must carry; returns the missing ones (empty when hardened). */
export function hardeningGaps(template: Manifest): string[] {
  const gaps: string[] = [];
  const spec = template.spec;
  const need = (ok: boolean, what: string) => ok || gaps.push(what);
  need(spec.automountServiceAccountToken === false, 'automountServiceAccountToken: false');
  need(spec.securityContext?.runAsNonRoot === true, 'pod runAsNonRoot');
  need(
    Number.isInteger(spec.securityContext?.runAsUser) && spec.securityContext.runAsUser > 0,
    'pod runAsUser non-root',
  );
  need(spec.securityContext?.seccompProfile?.type === 'RuntimeDefault', 'pod seccomp RuntimeDefault');
  need(!spec.hostNetwork && !spec.hostPID && !spec.hostIPC, 'no host namespaces');
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    const sc = c.securityContext ?? {};
    need(sc.allowPrivilegeEscalation === false, `${c.name}: allowPrivilegeEscalation false`);
    need(sc.privileged !== true, `${c.name}: not privileged`);
    need(sc.readOnlyRootFilesystem === true, `${c.name}: readOnlyRootFilesystem`);
    need(
      JSON.stringify(sc.capabilities?.drop) === '["ALL"]' && !sc.capabilities?.add,
      `${c.name}: drop ALL capabilities`,
    );
    need(Boolean(c.resources?.requests?.cpu && c.resources?.requests?.memory), `${c.name}: requests`);
    need(Boolean(c.resources?.limits?.cpu && c.resources?.limits?.memory), `${c.name}: limits`);
    need(
      /@sha256:[a-f0-9]{64}$/.test(c.image) || /:[\w.-]+$/.test(c.image.split('/').pop()),
      `${c.name}: pinned image`,
    );
  }
  const tmp = (spec.volumes ?? []).find((v: Manifest) => v.name === 'tmp');
  need(Boolean(tmp?.emptyDir?.sizeLimit), 'size-limited /tmp emptyDir');
  return gaps;
}

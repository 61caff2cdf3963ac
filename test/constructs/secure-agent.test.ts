/** SecureAgent and TrustPhase on the example fleet and on targeted fleets: I2, I5, I6 (K8s side), I7, I8. */
import { App } from 'cdk8s';
import { join } from 'node:path';
import { SecureAgent } from '../../constructs/secure-agent';
import { auditPolicy } from '../../lib/audit';
import { loadFleetFile } from '../../lib/fleet/load';
import { defineFleet } from '../../lib/fleet/validate';
import { agentUsername } from '../../lib/naming';
import { assertAllowed, FORBIDDEN_RESOURCES, FORBIDDEN_VERBS } from '../../lib/rbac';
import { selectorMatches } from '../../lib/selectors';
import { REPO_ROOT } from '../../tools/toolchain';
import { validFleet } from '../support/fleets';
import { hardeningGaps, type Manifest, ofKind, podTemplates, synthObjects } from '../support/manifests';

const example = loadFleetFile(join(REPO_ROOT, 'examples', 'fleet.yaml'));
const objects = synthObjects(example);
const agentNamed = (name: string) => example.spec.agents.find((a) => a.name === name)!;

describe('SecureAgent on the example fleet', () => {
  it('labels agent namespaces for Pod Security Standards restricted (enforce, audit, warn)', () => {
    for (const ns of ofKind(objects, 'Namespace')) {
      expect(ns.metadata.labels).toMatchObject({
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/audit': 'restricted',
        'pod-security.kubernetes.io/warn': 'restricted',
      });
    }
    expect(ofKind(objects, 'Namespace')).toHaveLength(5);
  });

  it('gives every agent a ServiceAccount that never automounts a token', () => {
    const accounts = ofKind(objects, 'ServiceAccount');
    expect(accounts.map((sa) => `${sa.metadata.namespace}/${sa.metadata.name}`).sort()).toEqual(
      example.spec.agents.map((a) => `${a.namespace}/${a.name}`).sort(),
    );
    for (const sa of accounts) expect(sa.automountServiceAccountToken).toBe(false);
  });

  it('hardens every pod template (I7)', () => {
    const templates = podTemplates(objects);
    expect(templates).toHaveLength(5);
    for (const { owner, template } of templates)
      expect([owner, hardeningGaps(template)]).toEqual([owner, []]);
  });

  it('emits the workload kind each agent asks for, with job isolation settings', () => {
    expect(
      ofKind(objects, 'Deployment')
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(['cost-analyst', 'incident-triage', 'release-bot']);
    const [cron] = ofKind(objects, 'CronJob');
    expect(cron.spec).toMatchObject({
      schedule: '*/15 * * * *',
      concurrencyPolicy: 'Forbid',
      suspend: false,
    });
    expect(cron.spec.jobTemplate.spec).toMatchObject({ activeDeadlineSeconds: 600, backoffLimit: 0 });
    const [job] = ofKind(objects, 'Job');
    expect(job.spec).toMatchObject({
      activeDeadlineSeconds: 1800,
      backoffLimit: 0,
      ttlSecondsAfterFinished: 3600,
    });
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
  });

  it('mounts a short-lived projected Vault token only for agents that use Vault', () => {
    for (const { owner, template } of podTemplates(objects)) {
      const name = owner.split('/')[1];
      const projected = (template.spec.volumes as Manifest[]).find((v) => v.name === 'vault-token');
      if (agentNamed(name).vault.secrets.length === 0) {
        expect(projected).toBeUndefined();
        continue;
      }
      expect(projected?.projected.sources).toEqual([
        { serviceAccountToken: { audience: 'vault', expirationSeconds: 600, path: 'token' } },
      ]);
    }
  });

  it('puts OpenTelemetry resource attributes in every agent container', () => {
    const deployment = ofKind(objects, 'Deployment').find((d) => d.metadata.name === 'release-bot')!;
    expect(deployment.spec.template.spec.containers[0].env).toEqual(
      expect.arrayContaining([
        { name: 'OTEL_SERVICE_NAME', value: 'release-bot' },
        {
          name: 'OTEL_RESOURCE_ATTRIBUTES',
          value:
            'service.namespace=agents-release,agentguard.agent.id=release-bot,agentguard.agent.phase=supervised,agentguard.fleet=shop-platform',
        },
      ]),
    );
  });

  it('bounds every agent namespace with a ResourceQuota and a LimitRange', () => {
    for (const agent of example.spec.agents) {
      const [quota] = ofKind(objects, 'ResourceQuota', agent.namespace);
      const [limits] = ofKind(objects, 'LimitRange', agent.namespace);
      expect(quota.spec.hard).toMatchObject({ pods: '4', 'limits.memory': '2048Mi', services: '0' });
      expect(limits.spec.limits[0].max).toEqual({ cpu: '500m', memory: '512Mi' });
    }
  });

  it('scales an engaged agent to zero or suspends it', () => {
    const engaged = defineFleet({
      ...validFleet(),
      spec: {
        agents: validFleet().spec.agents.map((a) => ({
          ...a,
          killSwitch: { state: 'engaged' as const, engagedBy: 'sec@example.com', reason: 'test' },
        })),
      },
    });
    const out = synthObjects(engaged);
    expect(ofKind(out, 'Deployment').map((d) => d.spec.replicas)).toEqual([0, 0]);
    expect(ofKind(out, 'CronJob').map((c) => c.spec.suspend)).toEqual([true]);
    expect(ofKind(out, 'RoleBinding')).toEqual([]);
  });

  it('throws at construction on a bad quota, naming the field and value', () => {
    const fleet = defineFleet(validFleet());
    expect(
      () => new SecureAgent(new App(), 'x', { fleet, agent: fleet.spec.agents[0], quota: { pods: 0 } }),
    ).toThrow('SecureAgent "reader": quota.pods must be a positive integer, got 0');
  });
});

describe('network isolation (I8) and the network cut (I6)', () => {
  const policies = ofKind(objects, 'NetworkPolicy');

  it('denies all ingress and egress by default in every agent namespace', () => {
    for (const agent of example.spec.agents) {
      const deny = policies.find(
        (p) => p.metadata.namespace === agent.namespace && p.metadata.name === 'agentguard-default-deny',
      );
      expect(deny?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    }
    expect(policies.some((p) => p.spec.ingress)).toBe(false);
  });

  it('allows egress only to DNS, Vault and declared destinations', () => {
    const allow = policies.find(
      (p) => p.metadata.namespace === 'agents-release' && p.metadata.name === 'agentguard-allow-egress',
    )!;
    expect(allow.spec.egress).toEqual([
      {
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'vault' } } }],
        ports: [{ protocol: 'TCP', port: 8200 }],
      },
      { to: [{ ipBlock: { cidr: '10.40.0.0/16' } }], ports: [{ protocol: 'TCP', port: 443 }] },
    ]);
    const noVault = policies.find(
      (p) => p.metadata.namespace === 'agents-reports' && p.metadata.name === 'agentguard-allow-egress',
    )!;
    expect(noVault.spec.egress).toHaveLength(1);
  });

  it('selects a pod in no allow policy once its kill-switch label is engaged', () => {
    for (const { template } of podTemplates(objects)) {
      const labels = template.metadata.labels as Record<string, string>;
      const ns = objects.find(
        (o) => o.kind === 'ServiceAccount' && o.metadata.name === template.spec.serviceAccountName,
      )!.metadata.namespace;
      const allowing = (l: Record<string, string>) =>
        policies.filter(
          (p) => p.metadata.namespace === ns && p.spec.egress && selectorMatches(p.spec.podSelector, l),
        );
      if (labels['agentguard.dev/kill-switch'] === 'armed') expect(allowing(labels)).toHaveLength(1);
      // The emergency path relabels running pods; the fleet path renders them engaged.
      expect(allowing({ ...labels, 'agentguard.dev/kill-switch': 'engaged' })).toEqual([]);
    }
    const reportTemplate = podTemplates(objects).find((t) => t.owner === 'Job/capacity-report')!.template;
    expect(reportTemplate.metadata.labels['agentguard.dev/kill-switch']).toBe('engaged');
  });
});

describe('TrustPhase RBAC (I5, I2)', () => {
  const roles = ofKind(objects, 'Role');
  const roleIn = (agent: string, ns: string) =>
    roles.find((r) => r.metadata.name === `agentguard-${agent}` && r.metadata.namespace === ns)!;

  it('never emits cluster-scoped RBAC', () => {
    expect(objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toEqual([]);
  });

  it('gives shadow agents read only', () => {
    expect(roleIn('cost-analyst', 'shop').rules).toEqual([
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch'] },
      {
        apiGroups: ['autoscaling'],
        resources: ['horizontalpodautoscalers'],
        verbs: ['get', 'list', 'watch'],
      },
    ]);
  });

  it('gives advisory agents the supervised mutations (admission limits them to dry-run)', () => {
    expect(roleIn('incident-triage', 'shop').rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['update', 'patch'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['apps'], resources: ['deployments', 'deployments/scale'], verbs: ['update', 'patch'] },
    ]);
  });

  it('grants create only where the fleet says, and delete only to autonomous agents for named kinds', () => {
    expect(roleIn('release-bot', 'shop').rules).toContainEqual({
      apiGroups: [''],
      resources: ['configmaps', 'services'],
      verbs: ['create', 'update', 'patch'],
    });
    expect(roleIn('batch-scaler', 'batch').rules).toContainEqual({
      apiGroups: ['batch'],
      resources: ['jobs'],
      verbs: ['delete'],
    });
    const deleters = roles.filter((r) => r.rules.some((rule: Manifest) => rule.verbs.includes('delete')));
    expect(deleters.map((r) => r.metadata.name)).toEqual(['agentguard-batch-scaler']);
  });

  it('binds each Role to exactly the agent ServiceAccount, and binds nothing for an engaged agent', () => {
    const bindings = ofKind(objects, 'RoleBinding');
    for (const b of bindings) {
      const agent = agentNamed(b.metadata.name.replace(/^agentguard-/, ''));
      expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: agent.name, namespace: agent.namespace }]);
      expect(b.roleRef).toEqual({
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: b.metadata.name,
      });
    }
    expect(bindings.filter((b) => b.metadata.name === 'agentguard-capacity-report')).toEqual([]);
    expect(roles.filter((r) => r.metadata.name === 'agentguard-capacity-report')).toHaveLength(1);
  });

  it('refuses, at construction, any rule that would grant a forbidden verb or resource', () => {
    const fleet = defineFleet(validFleet());
    const [agent] = fleet.spec.agents;
    const [target] = agent.targets;
    for (const resource of FORBIDDEN_RESOURCES) {
      expect(() =>
        assertAllowed(agent, target, [{ apiGroups: [''], resources: [resource], verbs: ['get'] }]),
      ).toThrow('(I2, see docs/design.md#i2)');
    }
    for (const verb of FORBIDDEN_VERBS) {
      const rule = { apiGroups: [''], resources: ['configmaps'], verbs: [verb as 'get'] };
      expect(() => assertAllowed(agent, target, [rule])).toThrow('(I1, I2, see docs/design.md#i1 and #i2)');
    }
    expect(() =>
      assertAllowed(agent, target, [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['delete'] }]),
    ).toThrow(/I1/);
  });
});

describe('audit policy', () => {
  it('logs every agent identity at RequestResponse before any other rule', () => {
    const policy = auditPolicy(example);
    expect(policy.apiVersion).toBe('audit.k8s.io/v1');
    expect(policy.rules[0]).toEqual({
      level: 'RequestResponse',
      users: example.spec.agents.map(agentUsername).sort(),
    });
    expect(policy.rules[0].users).toContain('system:serviceaccount:agents-release:release-bot');
  });
});

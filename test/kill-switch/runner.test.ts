/**
 * The in-cluster runners: valid manifests (kubeconform with the pinned schemas), a pod the pack's own
 * hardened-pods policy accepts (real opa-wasm), RBAC exactly as narrow as the script needs, suspended,
 * the script in the ConfigMap byte-identical to dist/, deterministic, and independent of the switch's
 * state in the fleet.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { AgentKillSwitch } from '../../constructs/kill-switch/runner';
import type { FleetInput } from '../../lib/fleet/schema';
import { defineFleet } from '../../lib/fleet/validate';
import { renderFleet } from '../../synth/render';
import type { Manifest } from '../support/manifests';
import { exampleParameters, HUMAN, KINDS, request } from '../support/reviews';
import { kubeconform } from '../support/tools';
import { KUBERNETES_VERSIONS } from '../../tools/toolchain';
import { messages } from '../../policies/wasm';
import { regoPack } from '../../policies/wasm-build';
import { exampleAgent, exampleDist, exampleFleet } from './example';

const runners = (): Manifest[] =>
  parseAllDocuments(readFileSync(join(exampleDist(), 'kill-switch', 'runners.yaml'), 'utf8')).map(
    (d) => d.toJSON() as Manifest,
  );
const find = (kind: string, name: string, namespace?: string) => {
  const found = runners().filter(
    (o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace,
  );
  expect(found).toHaveLength(1);
  return found[0];
};
const RBAC = 'agentguard:shop-platform:kill-release-bot';

describe('in-cluster kill-switch runners', () => {
  it('dist/kill-switch is a kustomization over the runners, and the root kustomization includes it', () => {
    const files = renderFleet(exampleFleet());
    expect(files.get('kill-switch/kustomization.yaml')).toContain('- runners.yaml');
    expect(files.get('kustomization.yaml')).toContain('- kill-switch');
    expect([...files.keys()].filter((f) => f.startsWith('kill-switch/')).sort()).toEqual([
      'kill-switch/kill-batch-scaler.sh',
      'kill-switch/kill-capacity-report.sh',
      'kill-switch/kill-cost-analyst.sh',
      'kill-switch/kill-incident-triage.sh',
      'kill-switch/kill-release-bot.sh',
      'kill-switch/kustomization.yaml',
      'kill-switch/runners.yaml',
    ]);
  });

  it.each(KUBERNETES_VERSIONS)(
    'validate with kubeconform -strict against the Kubernetes %s schemas',
    (version) => {
      const run = kubeconform([join(exampleDist(), 'kill-switch', 'runners.yaml')], version);
      const { summary } = JSON.parse(run.stdout) as { summary: Record<string, number> };
      expect(summary).toMatchObject({ invalid: 0, errors: 0, skipped: 0, valid: runners().length });
      expect(run.status).toBe(0);
    },
  );

  it('one suspended CronJob per agent, in agentguard-system, never in an agent namespace', () => {
    const cronJobs = runners().filter((o) => o.kind === 'CronJob');
    expect(cronJobs.map((c) => c.metadata.name).sort()).toEqual(
      exampleFleet()
        .spec.agents.map((a) => `kill-${a.name}`)
        .sort(),
    );
    for (const c of cronJobs) {
      expect(c.metadata.namespace).toBe('agentguard-system');
      expect(c.spec).toMatchObject({ suspend: true, concurrencyPolicy: 'Forbid', schedule: '0 0 1 1 *' });
      const pod = c.spec.jobTemplate.spec.template.spec;
      expect(pod.serviceAccountName).toBe(c.metadata.name);
      expect(pod.containers[0].image).toMatch(/@sha256:[a-f0-9]{64}$/);
    }
    expect(find('Namespace', 'agentguard-system').metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
  });

  it('the runner pod passes the pack hardened-pods policy (real opa-wasm), and the check can fail', async () => {
    const parameters = exampleParameters()['hardened-pods'];
    for (const cronJob of runners().filter((o) => o.kind === 'CronJob')) {
      const review = request({
        operation: 'CREATE',
        user: HUMAN,
        kind: KINDS.cronJob,
        namespace: 'agentguard-system',
        name: cronJob.metadata.name,
        object: cronJob,
      });
      expect(messages(await regoPack.evaluate('hardened-pods', review, parameters))).toEqual([]);
    }
    const loose = structuredClone(find('CronJob', 'kill-release-bot', 'agentguard-system'));
    loose.spec.jobTemplate.spec.template.spec.automountServiceAccountToken = true;
    const review = request({
      operation: 'CREATE',
      user: HUMAN,
      kind: KINDS.cronJob,
      namespace: 'x',
      object: loose,
    });
    expect(messages(await regoPack.evaluate('hardened-pods', review, parameters))).toHaveLength(1);
  });

  it('mounts only a projected API token, the script read-only, and the Vault token from an optional Secret', () => {
    const pod = find('CronJob', 'kill-release-bot', 'agentguard-system').spec.jobTemplate.spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    const container = pod.containers[0];
    expect(container.command).toEqual(['/bin/bash', '/etc/agentguard/kill-release-bot.sh']);
    expect(container.volumeMounts).toEqual([
      { name: 'script', mountPath: '/etc/agentguard', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
    ]);
    const api = pod.volumes.find((v: Manifest) => v.name === 'kube-api-access');
    expect(api.projected.sources[0]).toEqual({
      serviceAccountToken: { expirationSeconds: 600, path: 'token' },
    });
    expect(container.env.find((e: Manifest) => e.name === 'VAULT_TOKEN')).toEqual({
      name: 'VAULT_TOKEN',
      valueFrom: { secretKeyRef: { name: 'kill-release-bot-vault', key: 'token', optional: true } },
    });
    const noVault = find('CronJob', 'kill-capacity-report', 'agentguard-system');
    expect(
      noVault.spec.jobTemplate.spec.template.spec.containers[0].env.map((e: Manifest) => e.name),
    ).not.toContain('VAULT_TOKEN');
  });

  it('RBAC is exactly what the script needs, scoped by name wherever Kubernetes allows', () => {
    const subjects = [{ kind: 'ServiceAccount', name: 'kill-release-bot', namespace: 'agentguard-system' }];
    expect(find('ClusterRole', RBAC).rules).toEqual([
      {
        apiGroups: ['constraints.gatekeeper.sh'],
        resources: ['agentguardkillswitch'],
        resourceNames: ['agentguard-shop-platform-kill-switch'],
        verbs: ['get', 'patch'],
      },
    ]);
    expect(find('ClusterRoleBinding', RBAC)).toMatchObject({
      roleRef: { kind: 'ClusterRole', name: RBAC },
      subjects,
    });
    expect(find('Role', RBAC, 'agents-release').rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'patch'] },
      {
        apiGroups: ['apps'],
        resources: ['deployments'],
        resourceNames: ['release-bot'],
        verbs: ['get', 'patch'],
      },
      {
        apiGroups: ['apps'],
        resources: ['deployments/scale'],
        resourceNames: ['release-bot'],
        verbs: ['get', 'patch'],
      },
      // Deleting the ServiceAccount invalidates every token issued for it (step 5).
      {
        apiGroups: [''],
        resources: ['serviceaccounts'],
        resourceNames: ['release-bot'],
        verbs: ['delete'],
      },
    ]);
    expect(find('Role', RBAC, 'shop').rules).toEqual([
      {
        apiGroups: ['rbac.authorization.k8s.io'],
        resources: ['rolebindings'],
        resourceNames: ['agentguard-release-bot'],
        verbs: ['delete'],
      },
    ]);
    for (const ns of ['agents-release', 'shop']) {
      expect(find('RoleBinding', RBAC, ns)).toMatchObject({
        roleRef: { kind: 'Role', name: RBAC },
        subjects,
      });
    }
    const cron = runners().filter(
      (o) => o.kind === 'Role' && o.metadata.name === 'agentguard:shop-platform:kill-batch-scaler',
    );
    expect(cron.find((r) => r.metadata.namespace === 'agents-batch')!.rules.slice(1, 3)).toEqual([
      {
        apiGroups: ['batch'],
        resources: ['cronjobs'],
        resourceNames: ['batch-scaler'],
        verbs: ['get', 'patch'],
      },
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'patch'] },
    ]);
  });

  it('no rule anywhere grants *, secrets, create, escalate, bind or impersonate', () => {
    const rules = runners()
      .filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole')
      .flatMap((o) => o.rules as Manifest[]);
    expect(rules.length).toBeGreaterThan(10);
    for (const r of rules) {
      expect([...r.apiGroups, ...r.resources, ...r.verbs]).not.toContain('*');
      expect(r.resources).not.toContain('secrets');
      for (const verb of ['create', 'escalate', 'bind', 'impersonate', 'deletecollection', 'update']) {
        expect(r.verbs).not.toContain(verb);
      }
      // Deletes only of the agent's RoleBindings and ServiceAccount, each by name.
      if (r.verbs.includes('delete')) {
        expect([['rolebindings'], ['serviceaccounts']]).toContainEqual(r.resources);
        expect(r.resourceNames).toHaveLength(1);
      }
    }
  });

  it('the script in each ConfigMap is byte-identical to the file in dist/', () => {
    for (const agent of exampleFleet().spec.agents) {
      const file = readFileSync(join(exampleDist(), 'kill-switch', `kill-${agent.name}.sh`), 'utf8');
      expect(find('ConfigMap', `kill-${agent.name}`, 'agentguard-system').data).toEqual({
        [`kill-${agent.name}.sh`]: file,
      });
    }
  });

  it('is deterministic: two renders are byte-identical', () => {
    const a = renderFleet(exampleFleet());
    const b = renderFleet(exampleFleet());
    expect([...b.entries()]).toEqual([...a.entries()]);
  });

  it('does not change when switches are engaged or released in the fleet', () => {
    const flip = (state: 'armed' | 'engaged') => {
      const input = structuredClone(exampleFleet()) as FleetInput;
      for (const a of input.spec.agents)
        a.killSwitch = state === 'armed' ? { state } : { state, engagedBy: 'x@example.com', reason: 'test' };
      const files = renderFleet(defineFleet(input));
      return [...files.entries()].filter(([f]) => f.startsWith('kill-switch/'));
    };
    expect(flip('engaged')).toEqual(flip('armed'));
  });

  it('without spec.killSwitch.runnerImage: scripts only, no runners, nothing in the root kustomization', () => {
    const input = structuredClone(exampleFleet()) as FleetInput;
    input.spec.killSwitch = {};
    const files = renderFleet(defineFleet(input));
    expect([...files.keys()].filter((f) => f.startsWith('kill-switch/'))).toHaveLength(5);
    expect(files.has('kill-switch/runners.yaml')).toBe(false);
    expect(files.get('kustomization.yaml')).not.toContain('kill-switch');
  });

  it('refuses bad props at construction, naming the field and the fix', () => {
    const props = { fleet: exampleFleet(), agent: exampleAgent('release-bot') };
    expect(() => new AgentKillSwitch(new App(), 'k', { ...props, activeDeadlineSeconds: 5 })).toThrow(
      'AgentKillSwitch "release-bot": activeDeadlineSeconds must be a whole number from 30 to 3600, got 5; leave it out for 300',
    );
    expect(() => new AgentKillSwitch(new App(), 'k', { ...props, backoffLimit: -1 })).toThrow(
      'AgentKillSwitch "release-bot": backoffLimit must be a whole number from 0 to 10, got -1; leave it out for 2',
    );
  });
});

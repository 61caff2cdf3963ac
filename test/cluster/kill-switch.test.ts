/**
 * The kill switch and Vault against a real control plane and a real OpenBao:
 * - Vault's Kubernetes auth sends its TokenReview to this real API server (not test/vault's
 *   stand-in): a real agent token logs in to its own mount only; a deleted ServiceAccount's cannot.
 * - Emergency path: the real `dist/kill-switch/kill-<agent>.sh`, with the admin kubeconfig and the
 *   agent's Vault operator token, stops the agent on every layer; a second run still exits 0; another
 *   agent is untouched.
 * - GitOps path: synth with the agent engaged, apply (with pruning, as Argo CD / Flux do), the same end
 *   state except the ServiceAccount; release it and the agent works again with its old token.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentUsername, loadFleetFile } from '../../lib';
import { toolPath } from '../../tools/toolchain';
import { EXAMPLE_FLEET } from '../support/cli';
import { hardenedPodSpec } from '../support/reviews';
import { OpenBao, tofuApply } from '../vault/openbao';
import { constraintName } from '../../policies/policy-pack';
import { applyDist, ok, synth, useControlPlane, waitForEnforcement } from './harness';

jest.setTimeout(180_000);

const plane = useControlPlane();
const fleet = loadFleetFile(EXAMPLE_FLEET);
const KILL_SWITCH_CONSTRAINT = constraintName({ folder: 'kill-switch' }, fleet.metadata.name);
/** The fleet's kill-switch Constraint as the API server holds it. */
const killSwitchConstraint = () =>
  JSON.parse(
    ok(plane().kubectl(['get', 'agentguardkillswitch', KILL_SWITCH_CONSTRAINT, '-o', 'json']), 'get'),
  );
/** `spec.suspend` of an agent's CronJob, as kubectl prints it. */
const cronJobSuspend = (name: string) =>
  ok(
    plane().kubectl(['get', 'cronjob', name, '-n', agent(name).namespace, '-o', 'jsonpath={.spec.suspend}']),
    'get',
  );
const agent = (name: string) => {
  const found = fleet.spec.agents.find((a) => a.name === name);
  if (!found) throw new Error(`no agent ${name}`);
  return found;
};
const EXAMPLE_YAML = readFileSync(EXAMPLE_FLEET, 'utf8');
/** The example fleet with Vault mounts managed by the stack, so it applies to an empty OpenBao. */
const VAULT_FLEET = EXAMPLE_YAML.replace(/(\n  vault:\n)/, '$1    manageBackends: true\n');
const work = mkdtempSync(join(tmpdir(), 'agentguard-kill-e2e-'));
let bao: OpenBao;
let dist: string;

const vaultLogin = (mount: string, role: string, jwt: string) =>
  bao.api(undefined, 'POST', `auth/${mount}/login`, { role, jwt });
const vaultJwt = (name: string) =>
  plane().token(agent(name).namespace, name, { audience: 'vault', duration: '10m' });

/** The request as `token` answers with this HTTP status (401: not authenticated, 403: not authorized). */
async function statusAs(token: string, path: string): Promise<number> {
  return (await plane().raw('GET', path, { token })).status;
}

/** Polls until `check` holds; returns how long that took (ms). */
async function eventually(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
): Promise<number> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting until ${what}`);
}

beforeAll(async () => {
  expect(VAULT_FLEET).not.toBe(EXAMPLE_YAML);
  dist = synth(VAULT_FLEET);
  for (const ns of ['batch', 'payments', 'shop', 'vault'])
    ok(plane().kubectl(['create', 'namespace', ns]), ns);
  applyDist(plane(), dist);
  // Vault's reviewer identity: may send TokenReviews (system:auth-delegator), nothing else.
  ok(plane().kubectl(['create', 'serviceaccount', 'vault-auth', '-n', 'vault']), 'sa');
  ok(
    plane().kubectl([
      'create',
      'clusterrolebinding',
      'vault-auth-delegator',
      '--clusterrole=system:auth-delegator',
      '--serviceaccount=vault:vault-auth',
    ]),
    'crb',
  );
  bao = await OpenBao.start('kill-e2e-root');
  const stack = join(work, 'stack');
  spawnSync('mkdir', ['-p', stack]);
  writeFileSync(join(stack, 'cdk.tf.json'), readFileSync(join(dist, 'vault', 'cdk.tf.json')));
  writeFileSync(join(work, 'ca.crt'), plane().ca);
  tofuApply(stack, bao, {
    host: plane().server,
    caCert: plane().ca,
    jwt: plane().token('vault', 'vault-auth', { duration: '2h' }),
  });
}, 300_000);

afterAll(() => {
  bao?.stop();
  rmSync(work, { recursive: true, force: true });
});

interface KillRun {
  status: number | null;
  out: string;
  kubernetesMs: number;
  totalMs: number;
}

/**
 * Runs the real kill script with a kubeconfig (the admin's, or the in-cluster runner's identity) and
 * a Vault token carrying only the agent's operator policy; a kubectl wrapper records how long the
 * Kubernetes steps take.
 */
function killScript(name: string, kubeconfig: string, vaultToken: string): KillRun {
  const timing = join(work, `kubectl-${name}-${Date.now()}.times`);
  const wrapper = join(work, 'kubectl-timed');
  writeFileSync(
    wrapper,
    `#!/usr/bin/env bash\ns=$(date +%s%N)\n${JSON.stringify(toolPath('kubectl'))} "$@"\nrc=$?\necho $(( $(date +%s%N) - s )) >> "$KUBECTL_TIMES"\nexit $rc\n`,
  );
  chmodSync(wrapper, 0o755);
  const started = Date.now();
  const run = spawnSync(
    'bash',
    [
      join(dist, 'kill-switch', `kill-${name}.sh`),
      '--by',
      'oncall@shop.example',
      '--reason',
      "it's deleting prod",
    ],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        KUBECONFIG: kubeconfig,
        KUBECTL: wrapper,
        KUBECTL_TIMES: timing,
        VAULT_ADDR: bao.address,
        VAULT_TOKEN: vaultToken,
      },
    },
  );
  const totalMs = Date.now() - started;
  const times = readFileSync(timing, 'utf8').trim().split('\n').map(Number);
  return {
    status: run.status,
    out: `${run.stdout}${run.stderr}`,
    kubernetesMs: times.reduce((a, b) => a + b, 0) / 1e6,
    totalMs,
  };
}

/** A Vault token with only the agent's kill-switch operator policy (README, "Vault stack"). */
async function operatorToken(name: string): Promise<string> {
  const op = await bao.root('POST', 'auth/token/create', {
    policies: [`agentguard-kill-switch-${name}`],
    no_default_policy: true,
    ttl: '30m',
  });
  expect(op.status).toBe(200);
  return op.body.auth.client_token as string;
}

describe('Vault Kubernetes auth against the real API server', () => {
  it('a real agent token logs in to its own mount only', async () => {
    const jwt = vaultJwt('release-bot');
    const own = await vaultLogin('kubernetes-release-bot', 'release-bot', jwt);
    expect(own.status).toBe(200);
    expect(own.body.auth.policies).toEqual(['agentguard-agent-release-bot']);
    expect((await vaultLogin('kubernetes-batch-scaler', 'batch-scaler', jwt)).status).toBe(403);
    expect((await vaultLogin('kubernetes-release-bot', 'batch-scaler', jwt)).status).toBe(400);
    // A token for the API server's own audience is not a Vault token.
    const apiToken = plane().token('agents-release', 'release-bot');
    expect((await vaultLogin('kubernetes-release-bot', 'release-bot', apiToken)).status).toBe(403);
  });

  it("a deleted ServiceAccount's token cannot log in", async () => {
    const jwt = vaultJwt('incident-triage');
    expect((await vaultLogin('kubernetes-incident-triage', 'incident-triage', jwt)).status).toBe(200);
    ok(plane().kubectl(['delete', 'serviceaccount', 'incident-triage', '-n', 'agents-triage']), 'delete sa');
    const ms = await eventually(
      'the login is refused',
      async () => (await vaultLogin('kubernetes-incident-triage', 'incident-triage', jwt)).status === 403,
    );
    process.stdout.write(`Vault login refused ${ms} ms after the ServiceAccount was deleted\n`);
  });
});

describe('kill switch, emergency path: the real script against the real cluster', () => {
  const victim = 'release-bot';
  const bystander = 'batch-scaler';
  let apiToken: string;
  let bystanderToken: string;
  let firstRun: KillRun;
  let vaultToken: string;

  beforeAll(async () => {
    apiToken = plane().token(agent(victim).namespace, victim);
    bystanderToken = plane().token(agent(bystander).namespace, bystander);
    expect(await statusAs(apiToken, '/apis/apps/v1/namespaces/shop/deployments')).toBe(200);
    vaultToken = await operatorToken(victim);
    firstRun = killScript(victim, plane().kubeconfig, vaultToken);
    process.stdout.write(
      `kill-${victim}.sh: Kubernetes steps (kubectl) ${Math.round(firstRun.kubernetesMs)} ms, whole script ${firstRun.totalMs} ms\n`,
    );
  });

  it('every step succeeds (exit 0)', () => {
    expect(firstRun.out).toContain('all 7 steps succeeded.');
    expect(firstRun.status).toBe(0);
  });

  it("the agent's API token is refused (401): its ServiceAccount is gone", async () => {
    const ms = await eventually(
      'the token is refused',
      async () => (await statusAs(apiToken, '/apis/apps/v1/namespaces/shop/deployments')) === 401,
    );
    // The API server caches a successful token authentication for up to 10 s.
    process.stdout.write(`${victim}'s API token refused (401) ${ms} ms after the script ended\n`);
    expect(plane().kubectl(['get', 'serviceaccount', victim, '-n', agent(victim).namespace]).status).not.toBe(
      0,
    );
  });

  it('its RoleBindings are gone, its workload is at 0 and annotated, AG601 lists it', () => {
    for (const t of agent(victim).targets) {
      const run = plane().kubectl(['get', 'rolebinding', `agentguard-${victim}`, '-n', t.namespace]);
      expect(run.stderr).toMatch(/NotFound|not found/);
    }
    const deploy = JSON.parse(
      ok(plane().kubectl(['get', 'deployment', victim, '-n', agent(victim).namespace, '-o', 'json']), 'get'),
    );
    expect(deploy.spec.replicas).toBe(0);
    expect(deploy.metadata.annotations['agentguard.dev/kill-switch-engaged-by']).toBe('oncall@shop.example');
    const constraint = killSwitchConstraint();
    expect(constraint.spec.parameters.agents[agentUsername(agent(victim))]).toEqual({
      engagedBy: 'oncall@shop.example',
      reason: "it's deleting prod",
    });
  });

  it('Vault: its role is deleted, so it cannot log in', async () => {
    expect((await bao.root('GET', `auth/kubernetes-${victim}/role/${victim}`)).status).toBe(404);
  });

  it('a second run still exits 0', () => {
    const again = killScript(victim, plane().kubeconfig, vaultToken);
    expect(again.out).toContain('all 7 steps succeeded.');
    expect(again.status).toBe(0);
  });

  it('another agent is untouched', async () => {
    expect(await statusAs(bystanderToken, '/apis/batch/v1/namespaces/batch/jobs')).toBe(200);
    expect(
      ok(
        plane().kubectl(['get', 'rolebinding', `agentguard-${bystander}`, '-n', 'batch', '-o', 'name']),
        'get',
      ),
    ).toContain(bystander);
    expect((await vaultLogin(`kubernetes-${bystander}`, bystander, vaultJwt(bystander))).status).toBe(200);
    const constraint = killSwitchConstraint();
    expect(Object.keys(constraint.spec.parameters.agents).sort()).toEqual(
      [agentUsername(agent('capacity-report')), agentUsername(agent(victim))].sort(),
    );
  });
});

describe("kill switch as the in-cluster runner runs it: the runner ServiceAccount's own RBAC suffices", () => {
  const victim = 'cost-analyst';
  let runner: string;
  let run: KillRun;

  beforeAll(async () => {
    // A pod of the agent (created by the admin; no kubelet runs it), so the network cut patches one.
    const a = agent(victim);
    ok(
      plane().kubectl(['apply', '-f', '-'], {
        input: JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `${victim}-pod`,
            namespace: a.namespace,
            labels: { 'agentguard.dev/agent': victim },
          },
          spec: {
            ...hardenedPodSpec(a.image),
            serviceAccountName: victim,
          },
        }),
      }),
      'agent pod',
    );
    const token = plane().token('agentguard-system', `kill-${victim}`);
    runner = plane().kubeconfigFor(`kill-${victim}`, token);
    run = killScript(victim, runner, await operatorToken(victim));
  });

  it('every step succeeds as kill-<agent> in agentguard-system, Vault included', () => {
    expect(
      ok(
        plane().kubectl([
          'get',
          'pod',
          `${victim}-pod`,
          '-n',
          agent(victim).namespace,
          '-o',
          "jsonpath={.metadata.labels['agentguard\\.dev/kill-switch']}",
        ]),
        'get',
      ),
    ).toBe('engaged');
    expect(run.out).toContain('all 7 steps succeeded.');
    expect(run.status).toBe(0);
    for (const t of agent(victim).targets) {
      expect(
        plane().kubectl(['get', 'rolebinding', `agentguard-${victim}`, '-n', t.namespace]).status,
      ).not.toBe(0);
    }
    expect(
      ok(
        plane().kubectl([
          'get',
          'deployment',
          victim,
          '-n',
          agent(victim).namespace,
          '-o',
          'jsonpath={.spec.replicas}',
        ]),
        'get',
      ),
    ).toBe('0');
  });

  it("the runner's identity can stop only its own agent", () => {
    const other = agent('batch-scaler');
    for (const args of [
      ['delete', 'rolebinding', 'agentguard-batch-scaler', '-n', 'batch'],
      ['delete', 'serviceaccount', other.name, '-n', other.namespace],
      ['scale', 'deployment', 'release-bot', '-n', 'agents-release', '--replicas=0'],
      ['get', 'secrets', '-n', agent(victim).namespace],
    ]) {
      const denied = plane().kubectl(args, { kubeconfig: runner });
      expect(denied.status).not.toBe(0);
      expect(denied.stderr).toContain(`User "system:serviceaccount:agentguard-system:kill-${victim}" cannot`);
    }
  });
});

describe('kill switch, GitOps path: engage in the fleet, synth, apply; release', () => {
  const name = 'batch-scaler';
  const username = () => agentUsername(agent(name));
  /** What Argo CD and Flux do: apply the tree and prune what it no longer holds. */
  const gitopsApply = (tree: string) => {
    ok(
      plane().kubectl([
        'apply',
        '-k',
        tree,
        '--prune',
        '-l',
        'agentguard.dev/fleet=shop-platform',
        '--prune-allowlist=rbac.authorization.k8s.io/v1/RoleBinding',
        '--prune-allowlist=rbac.authorization.k8s.io/v1/Role',
        '--prune-allowlist=batch/v1/CronJob',
        '--prune-allowlist=apps/v1/Deployment',
      ]),
      'kubectl apply --prune',
    );
    waitForEnforcement(plane());
  };
  const engagedFleet = VAULT_FLEET.replace(
    /(- name: batch-scaler\n(?:.*\n)*?      attribution:\n        initiators: \['platform-team@shop\.example'\]\n)/,
    '$1      killSwitch:\n        state: engaged\n        engagedBy: dana.kim@shop.example\n        reason: runaway scaling\n',
  );
  let token: string;

  beforeAll(() => {
    expect(engagedFleet).not.toBe(VAULT_FLEET);
    token = plane().token(agent(name).namespace, name);
  });

  it('engaged: AG601 lists it, its RoleBindings are gone, its CronJob is suspended; its ServiceAccount stays', async () => {
    gitopsApply(synth(engagedFleet));
    const constraint = killSwitchConstraint();
    expect(constraint.spec.parameters.agents[username()]).toEqual({
      engagedBy: 'dana.kim@shop.example',
      reason: 'runaway scaling',
    });
    expect(plane().kubectl(['get', 'rolebinding', `agentguard-${name}`, '-n', 'batch']).status).not.toBe(0);
    expect(cronJobSuspend(name)).toBe('true');
    expect(
      ok(plane().kubectl(['get', 'serviceaccount', name, '-n', agent(name).namespace, '-o', 'name']), 'get'),
    ).toContain(name);
    // Authenticated (the ServiceAccount stays) but refused: RBAC first, then AG601 for anything RBAC allowed.
    await eventually(
      'its reads are refused',
      async () => (await statusAs(token, '/apis/batch/v1/namespaces/batch/jobs')) === 403,
    );
  });

  it('released: it works again, with the same token', async () => {
    gitopsApply(synth(VAULT_FLEET));
    const constraint = killSwitchConstraint();
    expect(constraint.spec.parameters.agents[username()]).toBeUndefined();
    expect(cronJobSuspend(name)).toBe('false');
    await eventually(
      'its reads work again',
      async () => (await statusAs(token, '/apis/batch/v1/namespaces/batch/jobs')) === 200,
    );
    const job = JSON.stringify({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 'after-release',
        namespace: 'batch',
        annotations: {
          'agentguard.dev/initiator': 'platform-team@shop.example',
          'agentguard.dev/traceparent': '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        },
      },
      spec: {
        template: {
          // Hardened and from batch's registry, as AG202 requires of every pod the agent writes.
          spec: {
            ...hardenedPodSpec(`registry.shop.example/batch/worker@sha256:${'c'.repeat(64)}`),
            restartPolicy: 'Never',
          },
        },
      },
    });
    await eventually(
      'an attributed write is admitted',
      () => plane().kubectl(['create', '-f', '-'], { token, input: job }).status === 0,
    );
  });
});

describe('kill switch of a CronJob agent as its runner, with one of its Jobs running', () => {
  const victim = 'batch-scaler';
  let run: KillRun;

  beforeAll(async () => {
    const a = agent(victim);
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: `${victim}-29000000`,
        namespace: a.namespace,
        labels: { 'agentguard.dev/agent': victim },
      },
      spec: {
        template: {
          metadata: { labels: { 'agentguard.dev/agent': victim } },
          spec: {
            restartPolicy: 'Never',
            ...hardenedPodSpec(a.image),
            serviceAccountName: victim,
          },
        },
      },
    };
    ok(plane().kubectl(['create', '-f', '-'], { input: JSON.stringify(job) }), 'job');
    const runner = plane().kubeconfigFor(
      `kill-${victim}`,
      plane().token('agentguard-system', `kill-${victim}`),
    );
    run = killScript(victim, runner, await operatorToken(victim));
  });

  it('suspends the CronJob and its running Job; every step succeeds', () => {
    expect(run.out).toContain('all 7 steps succeeded.');
    expect(run.status).toBe(0);
    const ns = agent(victim).namespace;
    expect(
      ok(plane().kubectl(['get', 'cronjob', victim, '-n', ns, '-o', 'jsonpath={.spec.suspend}']), 'get'),
    ).toBe('true');
    expect(
      ok(
        plane().kubectl(['get', 'job', `${victim}-29000000`, '-n', ns, '-o', 'jsonpath={.spec.suspend}']),
        'get',
      ),
    ).toBe('true');
  });
});

/**
 * The generated runbook scripts under real bash, against recording fakes of kubectl and curl: the
 * order and exact arguments of every step, idempotency, partial failure, --dry-run, usage errors and
 * hostile values.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { exampleAgent, exampleFleet, scriptOf } from './example';
import { Fakes, kubectlCalls, type Call, type ScriptRun } from './fakes';

const fakes = new Fakes();
const WHO = ['--by', 'alice@shop.example', '--reason', 'deleting prod configmaps'];
const CONSTRAINT = ['agentguardkillswitch.constraints.gatekeeper.sh', 'agentguard-shop-platform-kill-switch'];
const SUSPEND = '{"spec":{"suspend":true}}';

/** The record merged into the constraint by step 1, parsed from the recorded patch. */
function admissionPatch(call: Call) {
  expect(call.argv.slice(0, 5)).toEqual(['patch', ...CONSTRAINT, '--type', 'merge']);
  expect(call.argv[5]).toBe('-p');
  expect(call.argv).toHaveLength(7);
  return JSON.parse(call.argv[6]);
}

const annotate = (resource: string, ns: string, by: string, reason: string) => [
  'annotate',
  resource,
  '-n',
  ns,
  '--overwrite',
  `agentguard.dev/kill-switch-engaged-by=${by}`,
  `agentguard.dev/kill-switch-reason=${reason}`,
];

/** One curl call of the Vault step, as the fake curl records it. */
const vault = (method: 'DELETE' | 'PUT', path: string) => ({
  tool: 'curl',
  argv: [
    '--silent',
    '--show-error',
    '--fail-with-body',
    '--max-time',
    '30',
    '--request',
    method,
    '--header',
    expect.stringMatching(/^@\/dev\/fd\/\d+$/),
    `http://vault.vault.svc:8200/v1/${path}`,
  ],
  headerFile: 'X-Vault-Token: operator-token\n',
});

/** The lookup that guards every action on the workload: it may be gone (a finished Job). */
const lookup = (resource: string, ns: string) => ({
  tool: 'kubectl',
  argv: ['get', resource, '-n', ns, '--ignore-not-found', '-o', 'name'],
});

const summaryLines = (run: ScriptRun) => run.stdout.split('\n').filter((l) => /^ {2}(ok|FAILED) /.test(l));

describe('kill-<agent>.sh', () => {
  it('is written executable for every agent of the example fleet', () => {
    for (const agent of exampleFleet().spec.agents) {
      expect(statSync(scriptOf(agent)).mode & 0o777).toBe(0o755);
      expect(spawnSync('bash', ['-n', scriptOf(agent)]).status).toBe(0);
    }
  });

  it('deployment agent with Vault (release-bot): every step, in order, with exact arguments', () => {
    const run = fakes.run(scriptOf(exampleAgent('release-bot')), WHO, { VAULT_TOKEN: 'operator-token' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(admissionPatch(run.calls[0])).toEqual({
      spec: {
        parameters: {
          agents: {
            'system:serviceaccount:agents-release:release-bot': {
              engagedBy: 'alice@shop.example',
              reason: 'deleting prod configmaps',
            },
          },
        },
      },
    });
    expect(run.calls.slice(1)).toEqual([
      {
        tool: 'kubectl',
        argv: [
          'label',
          'pods',
          '-n',
          'agents-release',
          '-l',
          'agentguard.dev/agent=release-bot',
          'agentguard.dev/kill-switch=engaged',
          '--overwrite',
        ],
      },
      lookup('deployment/release-bot', 'agents-release'),
      { tool: 'kubectl', argv: ['scale', 'deployment/release-bot', '-n', 'agents-release', '--replicas=0'] },
      {
        tool: 'kubectl',
        argv: [
          'delete',
          'rolebinding',
          'agentguard-release-bot',
          '-n',
          'shop',
          '--ignore-not-found',
          '--wait=false',
        ],
      },
      {
        tool: 'kubectl',
        argv: [
          'delete',
          'serviceaccount',
          'release-bot',
          '-n',
          'agents-release',
          '--ignore-not-found',
          '--wait=false',
        ],
      },
      // The roles first, so nothing new is issued after the revoke.
      vault('DELETE', 'auth/kubernetes-release-bot/role/release-bot'),
      vault('DELETE', 'kubernetes/roles/agentguard-release-bot'),
      vault('PUT', 'sys/leases/revoke-prefix/auth/kubernetes-release-bot/login'),
      vault('PUT', 'sys/leases/revoke-prefix/kubernetes/creds/agentguard-release-bot'),
      lookup('deployment/release-bot', 'agents-release'),
      {
        tool: 'kubectl',
        argv: annotate(
          'deployment/release-bot',
          'agents-release',
          'alice@shop.example',
          'deleting prod configmaps',
        ),
      },
    ]);
    // The token reached curl through a header file only, never its command line or the output.
    expect(JSON.stringify(run.calls.map((c) => c.argv))).not.toContain('operator-token');
    expect(run.stdout).not.toContain('operator-token');
    expect(summaryLines(run)).toEqual([
      '  ok      1. admission deny (AG601, cluster-wide)',
      '  ok      2. network cut (pods out of every allow policy)',
      '  ok      3. scale to zero / suspend (deployment)',
      '  ok      4. delete RoleBindings',
      '  ok      5. delete ServiceAccount (invalidates every token issued for it)',
      '  ok      6. delete Vault roles, revoke leases (this agent only)',
      '  ok      7. record who engaged it and why',
    ]);
    expect(run.stdout).toContain('Next: engage the switch in the fleet too');
  });

  it('cronjob agent (batch-scaler): suspends the CronJob and each of its listed Jobs', () => {
    const run = fakes.run(scriptOf(exampleAgent('batch-scaler')), WHO, {
      VAULT_TOKEN: 'operator-token',
      FAKE_KUBECTL_GET_OUTPUT: 'job.batch/batch-scaler-29000001\njob.batch/batch-scaler-29000016\n',
    });
    expect(run.status).toBe(0);
    const ns = ['-n', 'agents-batch'];
    expect(kubectlCalls(run).slice(2, 7)).toEqual([
      ['get', 'cronjob/batch-scaler', ...ns, '--ignore-not-found', '-o', 'name'],
      ['patch', 'cronjob/batch-scaler', ...ns, '--type', 'merge', '-p', SUSPEND],
      ['get', 'jobs', ...ns, '-l', 'agentguard.dev/agent=batch-scaler', '-o', 'name'],
      ['patch', 'job.batch/batch-scaler-29000001', ...ns, '--type', 'merge', '-p', SUSPEND],
      ['patch', 'job.batch/batch-scaler-29000016', ...ns, '--type', 'merge', '-p', SUSPEND],
    ]);
    expect(kubectlCalls(run)[7]).toEqual([
      'delete',
      'rolebinding',
      'agentguard-batch-scaler',
      '-n',
      'batch',
      '--ignore-not-found',
      '--wait=false',
    ]);
    expect(kubectlCalls(run).slice(-2)).toEqual([
      ['get', 'cronjob/batch-scaler', ...ns, '--ignore-not-found', '-o', 'name'],
      annotate('cronjob/batch-scaler', 'agents-batch', 'alice@shop.example', 'deleting prod configmaps'),
    ]);
  });

  it('cronjob agent with no running Jobs: lists, patches nothing more, succeeds', () => {
    const run = fakes.run(scriptOf(exampleAgent('batch-scaler')), WHO, { VAULT_TOKEN: 't' });
    expect(run.status).toBe(0);
    expect(kubectlCalls(run).filter((a) => a[0] === 'patch' && a[1].startsWith('job'))).toEqual([]);
  });

  it('job agent without Vault (capacity-report): suspends the Job; no Vault step at all', () => {
    const run = fakes.run(scriptOf(exampleAgent('capacity-report')), WHO);
    expect(run.status).toBe(0);
    expect(run.calls.map((c) => c.tool)).not.toContain('curl');
    expect(kubectlCalls(run).map((a) => a.slice(0, 3))).toEqual([
      ['patch', CONSTRAINT[0], CONSTRAINT[1]],
      ['label', 'pods', '-n'],
      ['get', 'job/capacity-report', '-n'],
      ['patch', 'job/capacity-report', '-n'],
      ['delete', 'rolebinding', 'agentguard-capacity-report'],
      ['delete', 'serviceaccount', 'capacity-report'],
      ['get', 'job/capacity-report', '-n'],
      ['annotate', 'job/capacity-report', '-n'],
    ]);
    expect(kubectlCalls(run)[3]).toEqual([
      'patch',
      'job/capacity-report',
      '-n',
      'agents-reports',
      '--type',
      'merge',
      '-p',
      SUSPEND,
    ]);
    expect(summaryLines(run)).toHaveLength(6);
  });

  it('job agent whose Job is already gone (ttlSecondsAfterFinished): steps 3 and 6 skip it and succeed', () => {
    const run = fakes.run(scriptOf(exampleAgent('capacity-report')), WHO, {
      FAKE_KUBECTL_GONE: 'job/capacity-report',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    // Looked up, never patched nor annotated: a patch of a missing Job would fail with NotFound.
    expect(
      kubectlCalls(run)
        .filter((a) => a[1] === 'job/capacity-report')
        .map((a) => a[0]),
    ).toEqual(['get', 'get']);
    expect(run.stdout).toContain(
      '  job/capacity-report is not there (already removed): nothing to suspend\n',
    );
    expect(run.stdout).toContain(
      '  job/capacity-report is not there (already removed): who and why are recorded in the AG601 constraint entry (step 1)\n',
    );
    expect(summaryLines(run).every((l) => l.startsWith('  ok '))).toBe(true);
    expect(summaryLines(run)).toHaveLength(6);
  });

  it('a deployment or CronJob that is gone is skipped the same way; the CronJob runs are still listed', () => {
    const deployment = fakes.run(scriptOf(exampleAgent('release-bot')), WHO, {
      VAULT_TOKEN: 't',
      FAKE_KUBECTL_GONE: 'deployment/release-bot',
    });
    expect(deployment.status).toBe(0);
    expect(kubectlCalls(deployment).map((a) => a[0])).not.toContain('scale');
    expect(kubectlCalls(deployment).map((a) => a[0])).not.toContain('annotate');
    const cron = fakes.run(scriptOf(exampleAgent('batch-scaler')), WHO, {
      VAULT_TOKEN: 't',
      FAKE_KUBECTL_GONE: 'cronjob/batch-scaler',
      FAKE_KUBECTL_GET_OUTPUT: 'job.batch/batch-scaler-29000001\n',
    });
    expect(cron.status).toBe(0);
    expect(
      kubectlCalls(cron)
        .filter((a) => a[0] === 'patch')
        .map((a) => a[1]),
    ).toEqual([CONSTRAINT[0], 'job.batch/batch-scaler-29000001']);
  });

  it('deletes the RoleBinding in every target namespace (cost-analyst: payments and shop)', () => {
    const run = fakes.run(scriptOf(exampleAgent('cost-analyst')), WHO, { VAULT_TOKEN: 't' });
    expect(kubectlCalls(run).filter((a) => a[0] === 'delete' && a[1] === 'rolebinding')).toEqual(
      ['payments', 'shop'].map((ns) => [
        'delete',
        'rolebinding',
        'agentguard-cost-analyst',
        '-n',
        ns,
        '--ignore-not-found',
        '--wait=false',
      ]),
    );
  });

  it('is idempotent: a second run makes the same calls and succeeds again', () => {
    for (const agent of exampleFleet().spec.agents) {
      const env = { VAULT_TOKEN: 't', FAKE_KUBECTL_GET_OUTPUT: `job.batch/${agent.name}-1\n` };
      const first = fakes.run(scriptOf(agent), WHO, env);
      const second = fakes.run(scriptOf(agent), WHO, env);
      expect(first.status).toBe(0);
      expect(second.status).toBe(0);
      expect(second.calls).toEqual(first.calls);
      expect(second.stdout).toEqual(first.stdout);
    }
  });

  it('on a failed step, still runs every later step, reports it and exits 1', () => {
    const run = fakes.run(scriptOf(exampleAgent('release-bot')), WHO, {
      VAULT_TOKEN: 't',
      FAKE_KUBECTL_FAIL: 'label',
    });
    expect(run.status).toBe(1);
    expect(run.calls.map((c) => `${c.tool} ${c.argv[0]}`)).toEqual([
      'kubectl patch',
      'kubectl label',
      'kubectl get',
      'kubectl scale',
      'kubectl delete',
      'kubectl delete',
      'curl --silent',
      'curl --silent',
      'curl --silent',
      'curl --silent',
      'kubectl get',
      'kubectl annotate',
    ]);
    expect(run.stderr).toContain('fake kubectl: label refused');
    expect(summaryLines(run)).toEqual([
      '  ok      1. admission deny (AG601, cluster-wide)',
      '  FAILED  2. network cut (pods out of every allow policy)',
      '  ok      3. scale to zero / suspend (deployment)',
      '  ok      4. delete RoleBindings',
      '  ok      5. delete ServiceAccount (invalidates every token issued for it)',
      '  ok      6. delete Vault roles, revoke leases (this agent only)',
      '  ok      7. record who engaged it and why',
    ]);
    expect(run.stdout).toContain('1 of 7 steps FAILED');
  });

  it('without VAULT_TOKEN: the Vault step fails with the policy to use, the others still run', () => {
    const run = fakes.run(scriptOf(exampleAgent('release-bot')), WHO);
    expect(run.status).toBe(1);
    expect(run.calls.map((c) => c.tool)).not.toContain('curl');
    expect(kubectlCalls(run)).toHaveLength(8);
    expect(run.stderr).toContain(
      'VAULT_TOKEN is not set: export a token carrying the Vault policy agentguard-kill-switch-release-bot',
    );
    expect(summaryLines(run)[5]).toBe('  FAILED  6. delete Vault roles, revoke leases (this agent only)');
  });

  it('a failed lookup or listing (not an absence) fails its step, not the script', () => {
    const run = fakes.run(scriptOf(exampleAgent('batch-scaler')), WHO, {
      VAULT_TOKEN: 't',
      FAKE_KUBECTL_FAIL: 'get',
    });
    expect(run.status).toBe(1);
    expect(summaryLines(run).filter((l) => l.includes('FAILED'))).toEqual([
      '  FAILED  3. scale to zero / suspend (cronjob)',
      '  FAILED  7. record who engaged it and why',
    ]);
    expect(run.stderr).toContain('failed: lookup failed: get cronjob/batch-scaler -n agents-batch');
    expect(run.stderr).toContain('failed: listing failed: get jobs -n agents-batch');
    expect(kubectlCalls(run).map((a) => a[0])).toEqual([
      'patch',
      'label',
      'get',
      'get',
      'delete',
      'delete',
      'get',
    ]);
  });

  it('--dry-run runs nothing and prints every command, exactly as the real run makes it', () => {
    for (const agent of exampleFleet().spec.agents) {
      const dry = fakes.run(scriptOf(agent), [...WHO, '--dry-run'], { VAULT_TOKEN: 'operator-token' });
      expect(dry.status).toBe(0);
      expect(dry.calls).toEqual([]);
      expect(dry.stdout).toContain('dry run: nothing was changed.');
      expect(dry.stdout).not.toContain('operator-token');
      const live = fakes.run(scriptOf(agent), WHO, { VAULT_TOKEN: 't' });
      // Every printed kubectl line, read back by bash, is exactly one recorded call.
      const printed = dry.stdout
        .split('\n')
        .filter((l) => l.startsWith('+ kubectl ') && !l.includes('<each name listed above>'));
      expect(printed.map(argvOf)).toEqual(kubectlCalls(live));
      const curls = dry.stdout.split('\n').filter((l) => l.startsWith('+ curl '));
      expect(curls).toHaveLength(live.calls.filter((c) => c.tool === 'curl').length);
    }
  });

  it('usage errors print usage on stderr, exit 2 and run nothing', () => {
    const script = scriptOf(exampleAgent('release-bot'));
    for (const [args, message] of [
      [[], 'who engages the switch is missing'],
      [['--by', 'alice'], 'the reason is missing'],
      [['--reason', 'why'], 'who engages the switch is missing'],
      [['--by', '', '--reason', 'why'], 'who engages the switch is missing'],
      [[...WHO, '--force'], 'unknown argument: --force'],
      [[...WHO, 'extra'], 'unknown argument: extra'],
      [['--reason', 'why', '--by'], '--by needs a value'],
    ] as Array<[string[], string]>) {
      const run = fakes.run(script, args, { VAULT_TOKEN: 't' });
      expect({ args, status: run.status }).toEqual({ args, status: 2 });
      expect(run.stderr).toContain(message);
      expect(run.stderr).toContain('Usage: kill-release-bot.sh --by WHO --reason WHY [--dry-run]');
      expect(run.calls).toEqual([]);
      expect(run.stdout).toBe('');
    }
  });

  it('--help prints usage and exits 0, running nothing', () => {
    const run = fakes.run(scriptOf(exampleAgent('release-bot')), ['--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Usage: kill-release-bot.sh');
    expect(run.calls).toEqual([]);
  });

  it('takes who and why from AGENTGUARD_ENGAGED_BY / AGENTGUARD_REASON, and --by=/--reason= forms', () => {
    const script = scriptOf(exampleAgent('capacity-report'));
    const fromEnv = fakes.run(script, [], { AGENTGUARD_ENGAGED_BY: 'runner', AGENTGUARD_REASON: 'env' });
    expect(fromEnv.status).toBe(0);
    expect(Object.values(admissionPatch(fromEnv.calls[0]).spec.parameters.agents)).toEqual([
      { engagedBy: 'runner', reason: 'env' },
    ]);
    const flags = fakes.run(script, ['--by=bob', '--reason=flag wins'], {
      AGENTGUARD_ENGAGED_BY: 'runner',
      AGENTGUARD_REASON: 'env',
    });
    expect(Object.values(admissionPatch(flags.calls[0]).spec.parameters.agents)).toEqual([
      { engagedBy: 'bob', reason: 'flag wins' },
    ]);
  });

  it('KUBECTL overrides the kubectl binary', () => {
    const run = fakes.run(scriptOf(exampleAgent('capacity-report')), WHO, {
      KUBECTL: `${fakes.bin}/kubectl`,
    });
    expect(run.status).toBe(0);
    expect(kubectlCalls(run)).toHaveLength(8);
  });

  it('hostile who and why are data, never code: exact round trip through JSON and annotations', () => {
    const marker = `${fakes.bin}/../pwned`;
    const by = `o'brien"; touch ${marker}; echo "`;
    const reason = [
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `'; touch ${marker}; '`,
      'back\\slash "quoted" tab\there',
      'cr\rand control \u0001\u001f chars',
      'ünïcødé ✓ & ampersand & \\u0041 literal',
    ].join('\n');
    for (const dryRun of [false, true]) {
      const run = fakes.run(
        scriptOf(exampleAgent('release-bot')),
        ['--by', by, '--reason', reason, ...(dryRun ? ['--dry-run'] : [])],
        {
          VAULT_TOKEN: 't',
        },
      );
      expect(run.status).toBe(0);
      expect(spawnSync('test', ['-e', marker]).status).toBe(1);
      if (dryRun) continue;
      expect(Object.values(admissionPatch(run.calls[0]).spec.parameters.agents)).toEqual([
        { engagedBy: by, reason },
      ]);
      const annotations = kubectlCalls(run).filter((a) => a[0] === 'annotate');
      for (const a of annotations) {
        expect(a.slice(5)).toEqual([
          `agentguard.dev/kill-switch-engaged-by=${by}`,
          `agentguard.dev/kill-switch-reason=${reason}`,
        ]);
      }
    }
  });
});

/** The argv bash reads from one printed `+ cmd …` line, recorded without running anything. */
function argvOf(line: string): string[] {
  const run = spawnSync('bash', ['-c', 'kubectl() { printf "%s\\0" "$@"; }; eval "${1#+ }"', 'argv', line], {
    encoding: 'utf8',
  });
  expect(run.status).toBe(0);
  return run.stdout.split('\0').slice(0, -1);
}

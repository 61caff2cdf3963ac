/**
 * `agentguard check`: every policy sample reproduces its expected violations through the check (the
 * constraints synthesized from the example fleet, their match, the committed WASM modules); manifests
 * become CREATE requests by --as; bad input exits 2 naming the file and the fix.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { readReviewInputs } from '../../lib/admission/input';
import { createRequest, userInfoFor } from '../../lib/admission/request';
import { guessResource, resourceFor } from '../../lib/admission/resources';
import { loadFleetFile } from '../../lib/fleet/load';
import { policyByFolder, policyFolders } from '../../policies/catalog';
import { celAsRego } from '../../policies/cel';
import { PackChecker } from '../../policies/check';
import { committedModules, PackEvaluator } from '../../policies/wasm';
import { delegated, SAMPLE_NOW, seconds } from '../support/delegation';
import { loadSamples } from '../../policies/samples';
import { REPO_ROOT } from '../../tools/toolchain';
import { agentguard, agentguardInProcess as inProcess, EXAMPLE_FLEET, type CliRun } from '../support/cli';
import { AGENTS, attributed, deployment, HUMAN, TRACEPARENT } from '../support/reviews';

const fleet = loadFleetFile(EXAMPLE_FLEET);
// Sample delegation tokens were minted for 2026-01-01: evaluate as of just after (`check --at`).
const checker = new PackChecker(fleet, new PackEvaluator(committedModules, () => seconds(SAMPLE_NOW)));
const work = mkdtempSync(join(tmpdir(), 'agentguard-check-'));
const file = (name: string, text: string) => {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
};

const samples = policyFolders().flatMap((folder) => loadSamples(folder));

describe('check reproduces every policy sample (rego/*/samples/expected.yaml)', () => {
  it.each(samples.map((s) => [`${s.folder}/${s.file}`, s] as const))('%s', async (_, sample) => {
    const [input] = readReviewInputs(sample.absolutePath, userInfoFor(HUMAN));
    const result = await checker.check(input);
    const id = policyByFolder(sample.folder).id;
    const own = result.violations.filter((v) => v.policy === id).map((v) => v.message);
    expect(own).toEqual([...sample.expected].sort());
    // The whole pack may deny an "allowed" sample for another policy's reason, never a denied one less.
    if (sample.verdict === 'denied') expect(result.allowed).toBe(false);
  });

  it('through the CLI: one JSON line per sample, exit 1 because some are denied', () => {
    const files = samples.map((s) => relative(REPO_ROOT, s.absolutePath));
    const run = agentguard([
      'check',
      '--fleet',
      'examples/fleet.yaml',
      '--output',
      'json',
      '--at',
      String(SAMPLE_NOW),
      ...files,
    ]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(1);
    const lines = run.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(samples.length);
    for (const [i, sample] of samples.entries()) {
      const id = policyByFolder(sample.folder).id;
      expect(Object.keys(lines[i])).toEqual(['file', 'document', 'line', 'object', 'allowed', 'violations']);
      expect(lines[i].file).toBe(files[i]);
      const own = lines[i].violations.filter((v: { policy: string }) => v.policy === id);
      expect(own.map((v: { message: string }) => v.message)).toEqual([...sample.expected].sort());
    }
  });
});

describe("check --engine cel: the templates' CEL where they have it, Rego elsewhere", () => {
  it('gives the same JSON lines as --engine rego for every sample (AG701’s joined messages split)', () => {
    const files = samples.map((s) => relative(REPO_ROOT, s.absolutePath));
    const run = (engine: string) =>
      agentguard([
        'check',
        '--fleet',
        'examples/fleet.yaml',
        '--output',
        'json',
        '--at',
        String(SAMPLE_NOW),
        '--engine',
        engine,
        ...files,
      ]);
    const rego = run('rego');
    const cel = run('cel');
    expect(cel.stderr).toBe('');
    expect(cel.status).toBe(1);
    type Line = { allowed: boolean; violations: { policy: string; message: string }[] };
    const lines = (text: string): Line[] =>
      text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Line);
    const asRego = (line: Line) => ({
      allowed: line.allowed,
      violations: [
        ...new Set(line.violations.flatMap((v) => celAsRego([v.message]).map((m) => `${v.policy} ${m}`))),
      ].sort(),
    });
    const celLines = lines(cel.stdout);
    expect(celLines).toHaveLength(samples.length);
    expect(celLines.map(asRego)).toEqual(lines(rego.stdout).map(asRego));
    // The CEL really answered: AG701's sample comes back joined.
    expect(cel.stdout).toMatch(/; \[AG701\] /);
    expect(rego.stdout).not.toMatch(/; \[AG701\] /);
  });

  it('refuses an engine it does not have (exit 2)', () => {
    const run = agentguard([
      'check',
      '--fleet',
      'examples/fleet.yaml',
      '--engine',
      'kyverno',
      samples[0].absolutePath,
    ]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--engine.*kyverno.*Allowed choices are rego, cel/s);
  });
});

describe('manifests as CREATE requests', () => {
  const web = deployment(
    delegated(attributed('web', 'shop', 'release-manager-bob@shop.example', TRACEPARENT)),
    3,
  );

  it('builds an admission.k8s.io/v1 request with the plural resource, the user and its groups', () => {
    const request = createRequest(
      web as Parameters<typeof createRequest>[0],
      userInfoFor(AGENTS.releaseBot),
      'seed',
    );
    expect(request).toMatchObject({
      kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      resource: { group: 'apps', version: 'v1', resource: 'deployments' },
      namespace: 'shop',
      name: 'web',
      operation: 'CREATE',
      userInfo: {
        username: AGENTS.releaseBot,
        groups: ['system:serviceaccounts', 'system:serviceaccounts:agents-release', 'system:authenticated'],
      },
      object: web,
    });
    expect(request.uid).toBe(
      createRequest(web as Parameters<typeof createRequest>[0], userInfoFor(HUMAN), 'seed').uid,
    );
  });

  it.each([
    ['', 'ConfigMap', 'configmaps'],
    ['autoscaling', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers'],
    ['networking.k8s.io', 'NetworkPolicy', 'networkpolicies'],
    ['networking.k8s.io', 'Ingress', 'ingresses'],
    ['', 'Endpoints', 'endpoints'],
    ['example.com', 'Widget', 'widgets'],
  ])('resource of %s %s is %s', (group, kind, resource) => {
    expect(resourceFor(group, kind)).toBe(resource);
  });

  it('guesses plurals as Kubernetes does without discovery', () => {
    expect([guessResource('Policy'), guessResource('Status'), guessResource('Pod')]).toEqual([
      'policies',
      'statuses',
      'pods',
    ]);
  });

  it('--as an agent name reviews as its ServiceAccount; the supervised release-bot may create a Deployment in shop', async () => {
    const path = file(
      'web.yaml',
      `---\n# an empty document, skipped as kubectl does\n---\n${JSON.stringify(web)}\n`,
    );
    const byAgent = await inProcess([
      'check',
      '--fleet',
      'examples/fleet.yaml',
      '--at',
      String(SAMPLE_NOW),
      '--as',
      'release-bot',
      path,
    ]);
    expect(byAgent.stdout).toMatch(/^allowed\s+\S+#2\s+Deployment shop\/web$/m);
    expect(byAgent.stdout).toMatch(/^1 reviewed: 1 allowed, 0 denied \(0 violations\)$/m);
    expect(byAgent.status).toBe(0);
    const asShadow = await inProcess([
      'check',
      '--fleet',
      'examples/fleet.yaml',
      '--as',
      AGENTS.costAnalyst,
      path,
    ]);
    expect(asShadow.status).toBe(1);
    expect(asShadow.stdout).toContain(
      '[AG501] agent cost-analyst (phase shadow) may not create deployments.apps shop/web: shadow agents only read',
    );
    expect(asShadow.stdout).toMatch(/^1 reviewed: 0 allowed, 1 denied \(\d+ violations\)$/m);
  });

  it('the workload escalation of issue 12: a Deployment release-bot may create, whose pod takes shop over, is denied by AG202', async () => {
    const sneaky = deployment(
      delegated(attributed('sneaky', 'shop', 'release-manager-bob@shop.example', TRACEPARENT)),
      1,
    );
    const template = (sneaky.spec as { template: { spec: Record<string, unknown> } }).template;
    template.spec = {
      serviceAccountName: 'shop-admin',
      hostNetwork: true,
      containers: [
        {
          name: 'x',
          image: 'attacker.example/x:latest',
          securityContext: { privileged: true },
          envFrom: [{ secretRef: { name: 'payments-db' } }],
          volumeMounts: [{ name: 'root', mountPath: '/host' }],
        },
      ],
      volumes: [{ name: 'root', hostPath: { path: '/' } }],
    };
    const path = file('sneaky.yaml', JSON.stringify(sneaky));
    const run = await inProcess([
      'check',
      '--fleet',
      'examples/fleet.yaml',
      '--at',
      String(SAMPLE_NOW),
      '--as',
      'release-bot',
      '-o',
      'json',
      path,
    ]);
    expect(run.status).toBe(1);
    const [line] = run.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(new Set(line.violations.map((v: { policy: string }) => v.policy))).toEqual(new Set(['AG202']));
    const text = line.violations.map((v: { message: string }) => v.message).join('\n');
    for (const field of [
      'serviceAccountName "shop-admin"',
      'hostNetwork must not be true',
      'must not be privileged',
      'image "attacker.example/x:latest" must come from a registry',
      'uses Secret "payments-db"',
      'volumes["root"] uses hostPath',
    ]) {
      expect(text).toContain(field);
    }
  });

  it('hardened-pods applies to anyone creating a pod in an agent namespace, also without --as', async () => {
    const path = file(
      'pod.json',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', namespace: 'agents-release' },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      }),
    );
    const run = await inProcess(['check', '-f', 'examples/fleet.yaml', '-o', 'json', path]);
    expect(run.status).toBe(1);
    const [line] = run.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(line.object).toEqual({ kind: 'Pod', namespace: 'agents-release', name: 'p' });
    expect(line.allowed).toBe(false);
    expect(new Set(line.violations.map((v: { policy: string }) => v.policy))).toEqual(new Set(['AG701']));
    // Outside agent namespaces the hardened-pods constraint does not match.
    const elsewhere = file(
      'pod-elsewhere.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec: {containers: [{name: c, image: busybox}]}\n',
    );
    expect((await inProcess(['check', '-f', 'examples/fleet.yaml', elsewhere])).status).toBe(0);
  });

  it('a List contributes each item', () => {
    const list = file(
      'list.yaml',
      `apiVersion: v1\nkind: List\nitems:\n  - ${JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'shop' } })}\n  - ${JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'shop' } })}\n`,
    );
    expect(readReviewInputs(list, userInfoFor(HUMAN)).map((i) => i.request.name)).toEqual(['a', 'b']);
  });
});

describe('bad input exits 2 with the file, the document and the fix; nothing is evaluated', () => {
  const check = (...args: string[]) => inProcess(['check', '--fleet', 'examples/fleet.yaml', ...args]);
  const good = join(REPO_ROOT, 'rego/kill-switch/samples/denied/capacity-report-stopped.yaml');

  it.each([
    ['a missing file', () => [join(work, 'nope.yaml')], /nope\.yaml: no such file; check the path/],
    [
      'unparseable YAML',
      () => [file('broken.yaml', 'apiVersion: v1\nkind: [\n')],
      /broken\.yaml:\d+:\d+ \(document 1\): cannot parse: .*; fix the YAML or JSON syntax/,
    ],
    [
      'unparseable JSON',
      () => [file('broken.json', '{"apiVersion": "v1", "kind": ')],
      /broken\.json.*\(document 1\): cannot parse/,
    ],
    [
      'a document without apiVersion',
      () => [file('nokind.yaml', 'kind: ConfigMap\n---\nmetadata: {}\n')],
      /nokind\.yaml \(document 1\): not a Kubernetes object \(apiVersion: .*\); every document needs apiVersion and kind/,
    ],
    [
      'a scalar document',
      () => [file('scalar.yaml', 'apiVersion: v1\nkind: ConfigMap\n---\nhello\n')],
      /scalar\.yaml \(document 2\): not a Kubernetes object/,
    ],
    [
      'an AdmissionReview v1beta1',
      () => [file('beta.yaml', 'apiVersion: admission.k8s.io/v1beta1\nkind: AdmissionReview\nrequest: {}\n')],
      /beta\.yaml \(document 1\): AdmissionReview admission\.k8s\.io\/v1beta1 is not supported; use apiVersion admission\.k8s\.io\/v1/,
    ],
    [
      'an AdmissionReview without a request',
      () => [file('noreq.yaml', 'apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\n')],
      /noreq\.yaml \(document 1\): AdmissionReview has no valid request/,
    ],
    [
      'an empty file',
      () => [file('empty.yaml', '\n')],
      /empty\.yaml: no Kubernetes objects or AdmissionReviews in it/,
    ],
  ])('%s', async (_, files, message) => {
    const run = await check(good, ...files());
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it.each([
    [
      'an unknown --output',
      ['--output', 'xml', good],
      /argument 'xml' is invalid\. Allowed choices are text, json/,
    ],
    ['an unknown flag', ['--strict', good], /unknown option '--strict'/],
    ['no files', [], /missing required argument 'files'/],
  ])('%s', async (_, args, message) => {
    const run = await check(...args);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('names every bad file at once', async () => {
    const run = await check(join(work, 'a.yaml'), join(work, 'b.yaml'));
    expect(run.stderr).toContain('a.yaml: no such file');
    expect(run.stderr).toContain('b.yaml: no such file');
  });

  it('without --fleet: exit 2', () => {
    const run = agentguard(['check', good]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("required option '-f, --fleet <file>' not specified");
  });
});

/**
 * The request kubectl would send, not a literal reading of the file: merge keys merged, the namespace
 * `-n` (or `default`) gives, any `…List` expanded. Each case was "allowed" where Gatekeeper denies.
 */
describe('manifests are reviewed as kubectl would send them', () => {
  // The cost analyst's pod template, hardened in every way but one: the container is privileged.
  const hardened = (
    securityContext: string,
    namespaceLine = '  namespace: agents-cost\n',
  ) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: cost-analyst
${namespaceLine}spec:
  selector: {matchLabels: {app: cost-analyst}}
  template:
    metadata: {labels: {app: cost-analyst}}
    spec:
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: agent
          image: registry.shop.example/agents/cost-analyst@sha256:0b1c2d3e4f5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0
          securityContext:
${securityContext}
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 500m, memory: 512Mi}}
`;
  const base = `            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}`;
  const privileged = `${base}\n            privileged: true`;
  const json = (run: CliRun) =>
    run.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
  const policies = (line: { violations: { policy: string }[] }) =>
    [...new Set(line.violations.map((v) => v.policy))].sort();
  const check = (...args: string[]) =>
    inProcess(['check', '-f', 'examples/fleet.yaml', '-o', 'json', '--at', String(SAMPLE_NOW), ...args]);

  it('the fixture is hardened but for privileged: allowed without it, AG701 with it', async () => {
    const fine = await check(file('hardened.yaml', hardened(base)));
    expect(fine.stderr).toBe('');
    expect(fine.status).toBe(0);
    const run = await check(file('privileged.yaml', hardened(privileged)));
    expect(run.status).toBe(1);
    expect(json(run)[0].violations).toEqual([
      {
        policy: 'AG701',
        message: expect.stringContaining('spec.template.spec.containers["agent"] must not be privileged'),
      },
    ]);
  });

  it('a merge key (<<) setting privileged: true is merged, as kubectl merges it: AG701', async () => {
    const path = file('merge-privileged.yaml', hardened(`${base}\n            <<: {privileged: true}`));
    const run = await check(path);
    expect(run.status).toBe(1);
    expect(json(run)[0].violations).toEqual([
      { policy: 'AG701', message: expect.stringContaining('must not be privileged') },
    ]);
  });

  it('a merge key setting replicas past the cap is merged: AG401 for release-bot', async () => {
    const web = deployment(
      delegated(attributed('web', 'shop', 'release-manager-bob@shop.example', TRACEPARENT)),
    );
    // A plain `<<` key (a quoted one is a literal key, to kubectl as to the yaml package).
    const manifest = (merged: string) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: ${JSON.stringify(web.metadata)}\nspec: ${JSON.stringify(web.spec).replace(/^\{/, `{${merged}`)}\n`;
    const run = await check(
      '--as',
      'release-bot',
      file('merge-replicas.yaml', manifest('<<: {replicas: 50}, ')),
    );
    expect(run.status).toBe(1);
    expect(policies(json(run)[0])).toEqual(['AG401']);
    // The same Deployment within the cap is allowed: the merged replicas are what AG401 denies.
    const within = await check(
      '--as',
      'release-bot',
      file('merge-within.yaml', manifest('<<: {replicas: 3}, ')),
    );
    expect(within.status).toBe(0);
  });

  it('-n gives a namespace-less manifest its namespace: denied in agents-cost, allowed in default', async () => {
    const path = file('no-namespace.yaml', hardened(privileged, ''));
    const inAgents = await check('-n', 'agents-cost', path);
    expect(inAgents.status).toBe(1);
    const [denied] = json(inAgents);
    expect(denied.object).toEqual({ kind: 'Deployment', namespace: 'agents-cost', name: 'cost-analyst' });
    expect(policies(denied)).toEqual(['AG701']);
    // kubectl's default namespace: AG701 covers agent namespaces only, so this is allowed.
    const inDefault = await check(path);
    expect(inDefault.status).toBe(0);
    expect(json(inDefault)[0]).toMatchObject({
      object: { kind: 'Deployment', namespace: 'default', name: 'cost-analyst' },
      allowed: true,
    });
  });

  it('the object carries the namespace too, as the API server sets it before admission', () => {
    const [input] = readReviewInputs(file('ns-object.yaml', hardened(base, '')), userInfoFor(HUMAN), {
      name: 'agents-cost',
      explicit: true,
    });
    expect(input.request.namespace).toBe('agents-cost');
    expect((input.request.object as { metadata: { namespace: string } }).metadata.namespace).toBe(
      'agents-cost',
    );
  });

  it('a manifest namespace that differs from an explicit -n is bad input (exit 2), as in kubectl', async () => {
    const run = await check('-n', 'shop', file('other-ns.yaml', hardened(privileged)));
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /other-ns\.yaml \(document 1\): Deployment agents-cost\/cost-analyst is in namespace agents-cost, not shop \(--namespace\)/,
    );
    // The same namespace given twice is fine.
    expect((await check('-n', 'agents-cost', file('same-ns.yaml', hardened(privileged)))).status).toBe(1);
  });

  it('cluster-scoped kinds get no namespace from -n or their manifest; unknown kinds are namespaced', () => {
    const path = file(
      'scopes.yaml',
      [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'agents-x' } },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: 'r', namespace: 'shop' },
        },
        {
          apiVersion: 'constraints.gatekeeper.sh/v1beta1',
          kind: 'AgentGuardHardenedPods',
          metadata: { name: 'c' },
        },
        { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } },
      ]
        .map((o) => JSON.stringify(o))
        .join('\n---\n'),
    );
    const inputs = readReviewInputs(path, userInfoFor(HUMAN), { name: 'agents-cost', explicit: true });
    expect(inputs.map((i) => i.request.namespace)).toEqual([undefined, undefined, undefined, 'agents-cost']);
    expect((inputs[1].request.object as { metadata: object }).metadata).toEqual({ name: 'r' });
  });

  it('any …List with an items array is expanded: a DeploymentList with a privileged Deployment is denied', async () => {
    const list = `apiVersion: apps/v1\nkind: DeploymentList\nitems:\n${hardened(privileged)
      .trimEnd()
      .split('\n')
      .map((l, i) => (i === 0 ? `  - ${l}` : `    ${l}`))
      .join('\n')}\n`;
    const run = await check(file('deployment-list.yaml', list));
    expect(run.status).toBe(1);
    const lines = json(run);
    expect(lines).toHaveLength(1);
    expect(lines[0].object).toEqual({ kind: 'Deployment', namespace: 'agents-cost', name: 'cost-analyst' });
    expect(policies(lines[0])).toEqual(['AG701']);
  });

  it('a list whose items are not a sequence is bad input (exit 2)', async () => {
    const run = await check(
      file('bad-list.yaml', 'apiVersion: apps/v1\nkind: DeploymentList\nitems: {a: 1}\n'),
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/bad-list\.yaml \(document 1\): DeploymentList has items that are not a list/);
  });
});

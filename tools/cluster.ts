/**
 * A local Kubernetes control plane from the pinned tools: etcd, kube-apiserver and Gatekeeper's
 * manager with its validating webhook, on 127.0.0.1 only. No kubelet, scheduler or
 * controller-manager: objects are stored, authenticated, authorized by real RBAC and admitted by the
 * real webhook, but pods never run and no controller reacts (no ReplicaSets, no garbage collection,
 * no default ServiceAccounts).
 *
 * Used by `agentguard cluster up|down` (the processes outlive the command; their pids and ports are
 * in `state.json`) and by the end-to-end tests (`test/cluster/harness.ts`: one control plane per test
 * file, always stopped). It lives in `tools/` beside the installer and the toolchain it runs, and
 * imports nothing from `lib/`: it knows Kubernetes, not agentguard.
 */
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { gatekeeperManifestDir, toolPath, type ToolName } from './toolchain';

export const GATEKEEPER_CRDS_FILE = 'crds-and-namespace.yaml';
export const GATEKEEPER_NAMESPACE = 'gatekeeper-system';

/** Keeps the CustomResourceDefinitions and the Namespace of Gatekeeper's all-in-one deploy manifest. */
export function gatekeeperCrdsAndNamespace(deployYaml: string): string {
  const kept = parseAllDocuments(deployYaml)
    .map((d) => d.toJS() as { kind?: string } | null)
    .filter((d) => d?.kind === 'CustomResourceDefinition' || d?.kind === 'Namespace');
  if (!kept.some((d) => d?.kind === 'Namespace') || kept.length < 5) {
    throw new Error('deploy/gatekeeper.yaml has no Namespace or too few CustomResourceDefinitions');
  }
  // JSON documents: kubectl reads YAML 1.1, where a re-serialized `yes` label would turn boolean.
  return kept.map((d) => JSON.stringify(d)).join('\n---\n');
}

/**
 * The validating webhooks as this control plane registers them, and as the README tells users to
 * configure Gatekeeper: the chart's rules with DELETE added (Helm `enableDeleteOperations`), every
 * scale subresource, `failurePolicy: Fail`, Gatekeeper's own namespace exempt.
 */
export function gatekeeperWebhookConfiguration(url: string, caBundlePem: string): object {
  const caBundle = Buffer.from(caBundlePem).toString('base64');
  const notGatekeeper = {
    key: 'kubernetes.io/metadata.name',
    operator: 'NotIn',
    values: [GATEKEEPER_NAMESPACE],
  };
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: {
      name: 'gatekeeper-validating-webhook-configuration',
      labels: { 'gatekeeper.sh/system': 'yes' },
    },
    webhooks: [
      {
        name: 'validation.gatekeeper.sh',
        admissionReviewVersions: ['v1', 'v1beta1'],
        clientConfig: { url: `${url}/v1/admit`, caBundle },
        failurePolicy: 'Fail',
        matchPolicy: 'Exact',
        namespaceSelector: {
          matchExpressions: [
            { key: 'admission.gatekeeper.sh/ignore', operator: 'DoesNotExist' },
            notGatekeeper,
          ],
        },
        rules: [
          {
            apiGroups: ['*'],
            apiVersions: ['*'],
            operations: ['CREATE', 'UPDATE', 'DELETE'],
            resources: [
              '*',
              '*/scale',
              'pods/ephemeralcontainers',
              'pods/eviction',
              'pods/binding',
              'pods/resize',
              'pods/status',
              'services/status',
            ],
            scope: '*',
          },
        ],
        sideEffects: 'None',
        // The chart's 3 s is tight on a busy two-core machine; a timeout with Fail is a denial.
        timeoutSeconds: 10,
      },
      {
        name: 'check-ignore-label.gatekeeper.sh',
        admissionReviewVersions: ['v1', 'v1beta1'],
        clientConfig: { url: `${url}/v1/admitlabel`, caBundle },
        failurePolicy: 'Fail',
        matchPolicy: 'Exact',
        namespaceSelector: { matchExpressions: [notGatekeeper] },
        rules: [
          {
            apiGroups: [''],
            apiVersions: ['*'],
            operations: ['CREATE', 'UPDATE'],
            resources: ['namespaces'],
          },
        ],
        sideEffects: 'None',
        timeoutSeconds: 10,
      },
    ],
  };
}

export interface ProcessState {
  readonly name: 'etcd' | 'kube-apiserver' | 'gatekeeper-manager';
  readonly pid: number;
  readonly binary: string;
  readonly log: string;
}

/** What `state.json` holds: enough for `down` (and anyone) to find and stop the processes. */
export interface ControlPlaneState {
  readonly dir: string;
  readonly kubeconfig: string;
  readonly server: string;
  readonly ports: Readonly<Record<string, number>>;
  readonly processes: readonly ProcessState[];
}

export const STATE_FILE = 'state.json';
/** Marks a folder as made by the control plane, so only such folders are ever wiped. */
const MARKER = '.agentguard-cluster';

/** Deletes a state folder, but only one the control plane made. */
export function removeStateDir(dir: string): void {
  if (existsSync(join(dir, MARKER))) rmSync(dir, { recursive: true, force: true });
}

export interface StartOptions {
  /** Folder for data, certificates, logs, kubeconfigs and state.json; created, must not hold a running plane. */
  readonly dir: string;
  /**
   * Kill everything when this Node.js process exits, however it exits: exit hooks, SIGINT/SIGTERM,
   * and a watchdog process that outlives a SIGKILL of this one. Off for `cluster up`.
   */
  readonly tiedToProcess?: boolean;
  /** Progress lines (`etcd ready (1.2 s)`). */
  readonly log?: (line: string) => void;
  /** Overall startup deadline; on timeout everything started is stopped. Default 120 s. */
  readonly timeoutMs?: number;
  /** An audit policy file (`audit.k8s.io/v1`, e.g. agentguard's `dist/audit/audit-policy.yaml`); the log goes to `audit.log` in `dir`, JSON lines. */
  readonly auditPolicy?: string;
  /** Picks a free loopback port; tests replace it to prove a port taken meanwhile is survived. */
  readonly freePort?: () => Promise<number>;
  /**
   * Start Gatekeeper and register its webhook (default). false: etcd and kube-apiserver only, a
   * cluster without Gatekeeper, where only the API server's own admission (ValidatingAdmissionPolicy,
   * GA and on by default since Kubernetes 1.30) enforces anything.
   */
  readonly gatekeeper?: boolean;
}

export interface KubectlResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export class ControlPlaneError extends Error {}

/** A component could not bind a port another process took after it was picked. */
class PortTaken extends ControlPlaneError {}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port')),
      );
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether `pid` is still the process we started (not a recycled pid): its command line names the binary. */
function isOurs(p: ProcessState): boolean {
  try {
    return readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0')[0] === p.binary;
  } catch {
    return alive(p.pid) && process.platform !== 'linux';
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Stops processes in reverse start order: SIGTERM to each process group, SIGKILL after a short grace period (the plane is throwaway: its data is deleted with it). */
export async function stopProcesses(processes: readonly ProcessState[], graceMs = 2000): Promise<void> {
  for (const p of [...processes].reverse()) {
    if (!isOurs(p)) continue;
    killGroup(p.pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (alive(p.pid) && Date.now() < deadline) await sleep(50);
    if (alive(p.pid)) killGroup(p.pid, 'SIGKILL');
    while (alive(p.pid) && Date.now() < deadline + 2000) await sleep(50);
  }
}

function stopProcessesNow(processes: readonly ProcessState[]): void {
  for (const p of processes) killGroup(p.pid, 'SIGKILL');
}

export function readState(dir: string): ControlPlaneState | undefined {
  const file = join(dir, STATE_FILE);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as ControlPlaneState;
}

/** Whether any process a state file names is still running. */
export function stateIsRunning(state: ControlPlaneState): boolean {
  return state.processes.some((p) => isOurs(p));
}

interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

export class ControlPlane {
  private stopped = false;
  private readonly untie: Array<() => void> = [];

  private constructor(
    private current: ControlPlaneState,
    private readonly processes: ProcessState[],
    private readonly caPem: () => string,
  ) {}

  get state(): ControlPlaneState {
    return this.current;
  }

  get dir(): string {
    return this.state.dir;
  }
  get kubeconfig(): string {
    return this.state.kubeconfig;
  }
  get server(): string {
    return this.state.server;
  }
  /** The front proxy's client certificate, key and CA (request-header authentication). */
  get frontProxy(): FrontProxyCerts {
    const f = (name: string) => join(this.state.dir, 'front-proxy', name);
    return { ca: f('ca.crt'), cert: f('client.crt'), key: f('client.key') };
  }
  /** The API server's serving CA (PEM). */
  get ca(): string {
    return this.caPem();
  }

  /** Starts etcd, kube-apiserver and Gatekeeper, and registers the webhook; stops all on any failure. */
  static async start(options: StartOptions): Promise<ControlPlane> {
    const dir = resolve(options.dir);
    const log = options.log ?? (() => undefined);
    const previous = readState(dir);
    if (previous && stateIsRunning(previous)) {
      throw new ControlPlaneError(
        `a control plane is already running from ${dir} (pids ${previous.processes.map((p) => p.pid).join(', ')}); stop it first (agentguard cluster down --dir ${dir})`,
      );
    }
    const binaries = {} as Record<'etcd' | 'kube-apiserver' | 'gatekeeper-manager' | 'kubectl', string>;
    const needed = ['etcd', 'kube-apiserver', 'gatekeeper-manager', 'kubectl'] as const;
    for (const name of needed.filter((n) => options.gatekeeper !== false || n !== 'gatekeeper-manager')) {
      try {
        binaries[name] = toolPath(name as ToolName);
      } catch {
        throw new ControlPlaneError(`${name} is not installed: run \`npm run tools\``);
      }
    }
    const crds = join(gatekeeperManifestDir(), GATEKEEPER_CRDS_FILE);
    if (options.gatekeeper !== false && !existsSync(crds)) {
      throw new ControlPlaneError(`Gatekeeper's CRDs are not installed (${crds}): run \`npm run tools\``);
    }
    if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, MARKER))) {
      throw new ControlPlaneError(
        `${dir} is not empty and was not made by agentguard cluster; choose another folder`,
      );
    }
    removeStateDir(dir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, MARKER), 'made by agentguard cluster up; deleted by agentguard cluster down\n');

    // Picked per component just before it starts (withFreshPorts), and again if one was taken meanwhile.
    const ports = {
      etcd: 0,
      etcdPeer: 0,
      apiserver: 0,
      webhook: 0,
      gatekeeperHealth: 0,
      gatekeeperMetrics: 0,
      otlp: 0,
    };
    let server = '';
    const pickPort = options.freePort ?? freePort;
    const processes: ProcessState[] = [];
    const kubeconfig = join(dir, 'admin.kubeconfig');
    const state = (): ControlPlaneState => ({ dir, kubeconfig, server, ports, processes: [...processes] });
    const certDir = join(dir, 'apiserver-certs');
    const plane = new ControlPlane(state(), processes, () =>
      readFileSync(join(certDir, 'apiserver.crt'), 'utf8'),
    );
    if (options.tiedToProcess) plane.tieToProcess();
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    const started = Date.now();
    const since = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
    const writeState = () => {
      plane.current = state();
      writeFileSync(join(dir, STATE_FILE), `${JSON.stringify(state(), null, 2)}\n`);
    };
    const launch = (
      name: ProcessState['name'],
      args: string[],
      env: NodeJS.ProcessEnv = {},
    ): ProcessState => {
      const logFile = join(dir, `${name}.log`);
      const fd = openSync(logFile, 'w');
      const child = spawn(binaries[name], args, {
        cwd: dir,
        detached: true,
        stdio: ['ignore', fd, fd],
        env: { ...process.env, ...env },
      });
      closeSync(fd);
      child.unref();
      if (child.pid === undefined) throw new ControlPlaneError(`${name} could not start`);
      const p = { name, pid: child.pid, binary: binaries[name], log: logFile };
      processes.push(p);
      writeState();
      plane.watch();
      return p;
    };
    const waitFor = async (what: string, p: ProcessState, ready: () => Promise<boolean>) => {
      while (Date.now() < deadline) {
        if (!alive(p.pid)) {
          const text = tail(p.log);
          if (/address already in use/.test(text)) throw new PortTaken(`${what}: ${text}`);
          throw new ControlPlaneError(`${what} exited during startup; its log:\n${text}`);
        }
        if (await ready().catch(() => false)) return;
        await sleep(200);
      }
      throw new ControlPlaneError(`${what} was not ready in time; its log:\n${tail(p.log)}`);
    };

    /**
     * Free ports are picked by binding and releasing them, so another process (a parallel test run)
     * can take one before the component binds it: then the component is started again on new ones.
     */
    const withFreshPorts = async (
      name: ProcessState['name'],
      which: ReadonlyArray<keyof typeof ports>,
      attempt: () => Promise<void>,
    ): Promise<void> => {
      for (let tries = 1; ; tries++) {
        for (const key of which) ports[key] = await pickPort();
        try {
          return await attempt();
        } catch (err) {
          if (!(err instanceof PortTaken) || tries >= 4) throw err;
          const dead = processes.findIndex((p) => p.name === name);
          if (dead >= 0) processes.splice(dead, 1);
          log(`${name}: a port was taken by another process meanwhile; starting it again on new ports`);
        }
      }
    };

    try {
      await withFreshPorts('etcd', ['etcd', 'etcdPeer'], async () => {
        const etcd = launch('etcd', [
          '--name=agentguard-local',
          `--data-dir=${join(dir, 'etcd')}`,
          `--listen-client-urls=http://127.0.0.1:${ports.etcd}`,
          `--advertise-client-urls=http://127.0.0.1:${ports.etcd}`,
          `--listen-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
          `--initial-cluster=agentguard-local=http://127.0.0.1:${ports.etcdPeer}`,
          '--log-level=warn',
        ]);
        await waitFor(
          'etcd',
          etcd,
          async () => (await get(`http://127.0.0.1:${ports.etcd}/health`)).status === 200,
        );
      });
      log(`etcd ready on 127.0.0.1:${ports.etcd} (${since()})`);

      const adminToken = randomBytes(24).toString('hex');
      writeFileSync(
        join(dir, 'tokens.csv'),
        `${adminToken},agentguard-admin,agentguard-admin,"system:masters"\n`,
        {
          mode: 0o600,
        },
      );
      const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
      writeFileSync(join(dir, 'sa.key'), keys.privateKey.export({ type: 'pkcs8', format: 'pem' }), {
        mode: 0o600,
      });
      writeFileSync(join(dir, 'sa.pub'), keys.publicKey.export({ type: 'spki', format: 'pem' }));
      const frontProxy = frontProxyCerts(join(dir, 'front-proxy'));
      await withFreshPorts('kube-apiserver', ['apiserver'], async () => {
        server = `https://127.0.0.1:${ports.apiserver}`;
        const apiserver = launch('kube-apiserver', [
          `--etcd-servers=http://127.0.0.1:${ports.etcd}`,
          `--secure-port=${ports.apiserver}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          `--cert-dir=${certDir}`,
          '--service-cluster-ip-range=10.96.0.0/24',
          '--authorization-mode=Node,RBAC',
          `--token-auth-file=${join(dir, 'tokens.csv')}`,
          '--service-account-issuer=https://kubernetes.default.svc',
          `--service-account-key-file=${join(dir, 'sa.pub')}`,
          `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
          // Request-header authentication: what an authenticating proxy in front of the agents uses to
          // pass the user and userInfo.extra (the attribution AG301 reads on DELETE and scale).
          `--requestheader-client-ca-file=${frontProxy.ca}`,
          `--requestheader-allowed-names=${FRONT_PROXY_NAME}`,
          '--requestheader-username-headers=X-Remote-User',
          '--requestheader-uid-headers=X-Remote-Uid',
          '--requestheader-group-headers=X-Remote-Group',
          '--requestheader-extra-headers-prefix=X-Remote-Extra-',
          '--profiling=false',
          '--v=0',
          ...(options.auditPolicy
            ? [
                `--audit-policy-file=${resolve(options.auditPolicy)}`,
                `--audit-log-path=${join(dir, 'audit.log')}`,
                '--audit-log-format=json',
              ]
            : []),
        ]);
        await waitFor('kube-apiserver', apiserver, async () => {
          if (!existsSync(join(certDir, 'apiserver.crt'))) return false;
          return (await plane.raw('GET', '/readyz', { token: adminToken })).status === 200;
        });
      });
      writeFileSync(kubeconfig, kubeconfigYaml(server, plane.caPem(), 'agentguard-admin', adminToken), {
        mode: 0o600,
      });
      writeState();
      log(`kube-apiserver ready on ${server} (${since()})`);

      if (options.gatekeeper === false) return plane;

      plane.kubectlOk(['apply', '--server-side', '-f', crds]);
      const gkCerts = join(dir, 'gatekeeper-certs');
      mkdirSync(gkCerts);
      selfSignedCert(gkCerts);
      let gatekeeper: ProcessState | undefined;
      await withFreshPorts(
        'gatekeeper-manager',
        ['webhook', 'gatekeeperHealth', 'gatekeeperMetrics', 'otlp'],
        async () => {
          gatekeeper = launch(
            'gatekeeper-manager',
            [
              `--kubeconfig=${kubeconfig}`,
              `--port=${ports.webhook}`,
              '--host=127.0.0.1',
              `--cert-dir=${gkCerts}`,
              '--disable-cert-rotation',
              '--debug-use-fake-pod',
              `--health-addr=127.0.0.1:${ports.gatekeeperHealth}`,
              `--metrics-addr=127.0.0.1:${ports.gatekeeperMetrics}`,
              // The Prometheus exporter listens on every interface (":port"), which this plane never does;
              // OpenTelemetry pushes instead, here to a loopback port nobody listens on, once an hour.
              '--metrics-backend=opentelemetry',
              `--otlp-endpoint=127.0.0.1:${ports.otlp}`,
              '--otlp-metric-interval=1h',
              '--enable-pprof=false',
              `--exempt-namespace=${GATEKEEPER_NAMESPACE}`,
              '--disable-opa-builtin=http.send',
              '--logtostderr',
            ],
            { POD_NAMESPACE: GATEKEEPER_NAMESPACE, POD_NAME: 'gatekeeper-local', CONTAINER_NAME: 'manager' },
          );
          await waitFor(
            'gatekeeper-manager',
            gatekeeper,
            async () => (await get(`http://127.0.0.1:${ports.gatekeeperHealth}/readyz`)).status === 200,
          );
        },
      );
      if (!gatekeeper) throw new ControlPlaneError('gatekeeper-manager did not start');
      const manager = gatekeeper;
      const webhook = gatekeeperWebhookConfiguration(
        `https://127.0.0.1:${ports.webhook}`,
        readFileSync(join(gkCerts, 'tls.crt'), 'utf8'),
      );
      writeFileSync(join(dir, 'webhook.json'), JSON.stringify(webhook, null, 2));
      plane.kubectlOk(['apply', '--server-side', '-f', join(dir, 'webhook.json')]);
      // Ready when the API server reaches the webhook: Gatekeeper refuses this label on a namespace.
      await waitFor('the Gatekeeper webhook', manager, async () => {
        const probe = plane.kubectl(['create', '--dry-run=server', '-o', 'name', '-f', '-'], {
          input: JSON.stringify({
            apiVersion: 'v1',
            kind: 'Namespace',
            metadata: {
              name: 'agentguard-webhook-probe',
              labels: { 'admission.gatekeeper.sh/ignore': 'probe' },
            },
          }),
        });
        return (
          probe.status !== 0 &&
          /admission webhook "check-ignore-label.gatekeeper.sh" denied/.test(probe.stderr)
        );
      });
      log(`Gatekeeper webhook ready on https://127.0.0.1:${ports.webhook} (${since()})`);
      return plane;
    } catch (err) {
      await plane.stop();
      throw err;
    }
  }

  /** Stops every process this plane started (SIGTERM, then SIGKILL), removes state.json; safe to call twice. */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      await stopProcesses(this.processes);
    }
    rmSync(join(this.current.dir, STATE_FILE), { force: true });
    for (const undo of this.untie.splice(0)) undo();
  }

  /** kubectl as the admin (default) or with a bearer token instead, against this plane. */
  kubectl(
    args: readonly string[],
    opts: { token?: string; kubeconfig?: string; input?: string; env?: NodeJS.ProcessEnv } = {},
  ): KubectlResult {
    const full = [...args];
    const kubeconfig =
      opts.kubeconfig ?? (opts.token ? this.kubeconfigFor('token', opts.token) : this.state.kubeconfig);
    const run = spawnSync(toolPath('kubectl'), [`--kubeconfig=${kubeconfig}`, ...full], {
      encoding: 'utf8',
      input: opts.input,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120_000,
      env: { ...process.env, ...opts.env },
    });
    if (run.error) throw run.error;
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  }

  /**
   * kubectl without blocking this process's event loop: for requests that go through a server in
   * this same process (a test's authenticating proxy), which a synchronous kubectl would starve.
   */
  kubectlAsync(
    args: readonly string[],
    opts: { kubeconfig?: string; input?: string } = {},
  ): Promise<KubectlResult> {
    return new Promise((resolveRun, reject) => {
      const child = spawn(
        toolPath('kubectl'),
        [`--kubeconfig=${opts.kubeconfig ?? this.state.kubeconfig}`, ...args],
        {
          stdio: ['pipe', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('error', reject);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolveRun({ status, stdout, stderr });
      });
      child.stdin.end(opts.input ?? '');
    });
  }

  /** kubectl as the admin; throws with its output unless it succeeds. */
  kubectlOk(args: readonly string[], input?: string): string {
    const run = this.kubectl(args, { input });
    if (run.status !== 0) {
      throw new ControlPlaneError(
        `kubectl ${args.join(' ')} exited ${run.status}:\n${run.stderr}${run.stdout}`,
      );
    }
    return run.stdout;
  }

  /** A kubeconfig file (in the state folder) that authenticates with `token` and nothing else. */
  kubeconfigFor(name: string, token: string): string {
    const file = join(this.state.dir, `${name.replace(/[^a-z0-9.-]/gi, '_')}-${hash(token)}.kubeconfig`);
    if (!existsSync(file))
      writeFileSync(file, kubeconfigYaml(this.server, this.caPem(), name, token), { mode: 0o600 });
    return file;
  }

  /** A real bound ServiceAccount token (TokenRequest, `kubectl create token`). */
  token(
    namespace: string,
    serviceAccount: string,
    opts: { audience?: string; duration?: string } = {},
  ): string {
    const args = ['create', 'token', serviceAccount, '-n', namespace, `--duration=${opts.duration ?? '1h'}`];
    if (opts.audience) args.push(`--audience=${opts.audience}`);
    return this.kubectlOk(args).trim();
  }

  /** One HTTPS request to the API server (the CA is the plane's own), as `token`. */
  raw(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; contentType?: string } = {},
  ): Promise<HttpAnswer> {
    const url = new URL(path, this.server);
    const body =
      opts.body === undefined
        ? undefined
        : typeof opts.body === 'string'
          ? opts.body
          : JSON.stringify(opts.body);
    return new Promise((resolveAnswer, reject) => {
      const req = request(
        url,
        {
          method,
          ca: this.caPemOrUndefined(),
          rejectUnauthorized: this.caPemOrUndefined() !== undefined,
          headers: {
            ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
            ...(body !== undefined ? { 'Content-Type': opts.contentType ?? 'application/json' } : {}),
            Accept: 'application/json',
          },
          timeout: 30_000,
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolveAnswer({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  private caPemOrUndefined(): string | undefined {
    try {
      return this.caPem();
    } catch {
      return undefined;
    }
  }

  private watchdog: number | undefined;

  /** Ties the plane's processes to this Node.js process (tests): exit hooks, signals and a watchdog. */
  private tieToProcess(): void {
    const onExit = () => stopProcessesNow(this.processes);
    const onSignal = (signal: NodeJS.Signals) => {
      stopProcessesNow(this.processes);
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on('exit', onExit);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    this.untie.push(() => {
      process.removeListener('exit', onExit);
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      if (this.watchdog !== undefined) killGroup(this.watchdog, 'SIGKILL');
    });
    this.watchdog = -1;
  }

  /** (Re)starts the watchdog over the current process list, when tied: it kills them if we die, even by SIGKILL. */
  private watch(): void {
    if (this.watchdog === undefined) return;
    if (this.watchdog > 0) killGroup(this.watchdog, 'SIGKILL');
    const groups = this.processes.map((p) => `-${p.pid}`).join(' ');
    const child = spawn(
      'sh',
      ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -9 ${groups} 2>/dev/null`],
      { detached: true, stdio: 'ignore' },
    );
    child.unref();
    this.watchdog = child.pid ?? -1;
  }
}

function hash(text: string): string {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0;
  return (h >>> 0).toString(16);
}

function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function get(url: string): Promise<HttpAnswer> {
  return new Promise((resolveAnswer, reject) => {
    const req = httpRequest(url, { timeout: 5000 }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolveAnswer({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.end();
  });
}

function kubeconfigYaml(server: string, caPem: string, user: string, token: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'agentguard-local',
        cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') },
      },
    ],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: 'agentguard-local', context: { cluster: 'agentguard-local', user } }],
    'current-context': 'agentguard-local',
  });
}

export const FRONT_PROXY_NAME = 'agentguard-front-proxy';

/** Client certificate and CA of the authenticating front proxy the API server trusts for request headers. */
export interface FrontProxyCerts {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

function openssl(args: string[]): void {
  const run = spawnSync('openssl', args, { encoding: 'utf8' });
  if (run.error || run.status !== 0) {
    throw new ControlPlaneError(`openssl ${args[0]} failed: ${run.error?.message ?? run.stderr}`);
  }
}

function frontProxyCerts(dir: string): FrontProxyCerts {
  mkdirSync(dir, { recursive: true });
  const f = (name: string) => join(dir, name);
  selfSigned(`/CN=${FRONT_PROXY_NAME}-ca`, f('ca.key'), f('ca.crt'));
  openssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    `/CN=${FRONT_PROXY_NAME}`,
    '-keyout',
    f('client.key'),
    '-out',
    f('client.csr'),
  ]);
  writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl([
    'x509',
    '-req',
    '-in',
    f('client.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    f('client.ext'),
    '-out',
    f('client.crt'),
  ]);
  return { ca: f('ca.crt'), cert: f('client.crt'), key: f('client.key') };
}

/** A self-signed serving certificate for 127.0.0.1 (`tls.crt`, `tls.key`), as Gatekeeper expects in its cert dir. */
function selfSignedCert(dir: string): void {
  selfSigned('/CN=127.0.0.1', join(dir, 'tls.key'), join(dir, 'tls.crt'), [
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
}

/** A throwaway self-signed certificate (two days, RSA 2048) and its key. */
function selfSigned(subject: string, keyFile: string, certFile: string, extra: string[] = []): void {
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    subject,
    ...extra,
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
}

/**
 * A real OpenBao dev server for tests (`bao server -dev` on 127.0.0.1, a free port, a known root
 * token), the real OpenTofu with the locally built provider, and a small HTTP API client.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { QUIET_ENV, stampPath, toolPath } from '../../tools/toolchain';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

export interface ApiResult {
  readonly status: number;
  // Vault answers are JSON of many shapes; tests read them structurally.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

export class OpenBao {
  private constructor(
    readonly address: string,
    readonly rootToken: string,
    private readonly child: ChildProcess,
    readonly log: () => string,
  ) {}

  /** Starts the dev server in its own process group and waits until it answers. */
  static async start(rootToken: string): Promise<OpenBao> {
    const port = await freePort();
    const address = `http://127.0.0.1:${port}`;
    let output = '';
    const child = spawn(
      toolPath('bao'),
      [
        'server',
        '-dev',
        `-dev-root-token-id=${rootToken}`,
        `-dev-listen-address=127.0.0.1:${port}`,
        '-dev-no-store-token',
      ],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...QUIET_ENV } },
    );
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const bao = new OpenBao(address, rootToken, child, () => output);
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`${address}/v1/sys/health`)).status === 200) return bao;
      } catch {
        // not listening yet
      }
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    bao.stop();
    throw new Error(`bao server -dev did not come up on ${address}:\n${output}`);
  }

  /** Kills the whole process group; safe to call twice. */
  stop(): void {
    if (this.child.pid !== undefined && this.child.exitCode === null) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  async api(token: string | undefined, method: string, path: string, body?: unknown): Promise<ApiResult> {
    const response = await fetch(`${this.address}/v1/${path}`, {
      method,
      headers: {
        ...(token ? { 'X-Vault-Token': token } : {}),
        // KV v2 accepts PATCH only as a JSON merge patch.
        'Content-Type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  root(method: string, path: string, body?: unknown): Promise<ApiResult> {
    return this.api(this.rootToken, method, path, body);
  }
}

/**
 * Runs the real OpenTofu in `dir`, installing the provider from `.tools/bin` through a filesystem
 * mirror (this network reaches no provider registry). The stack pins provider 5.6.0, the version
 * `@cdktf/provider-vault` 15.6.1 was generated from; an override file in `dir` asks for the pinned
 * 5.9.0 build instead (README, "Vault stack").
 */
export function tofu(dir: string, args: readonly string[], env: Record<string, string> = {}) {
  const version = readFileSync(stampPath('terraform-provider-vault'), 'utf8').trim();
  const platform = `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;
  const mirror = join(dir, 'mirror');
  const pkg = join(mirror, 'registry.opentofu.org', 'hashicorp', 'vault', version, platform);
  if (!existsSync(pkg)) {
    mkdirSync(pkg, { recursive: true });
    symlinkSync(toolPath('terraform-provider-vault'), join(pkg, `terraform-provider-vault_v${version}`));
    writeFileSync(
      join(dir, 'provider_override.tf.json'),
      JSON.stringify({
        terraform: { required_providers: { vault: { source: 'hashicorp/vault', version } } },
      }),
    );
  }
  const config = join(dir, 'tofu.tfrc');
  writeFileSync(
    config,
    `provider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(mirror)}\n  }\n}\n`,
  );
  const run = spawnSync(toolPath('tofu'), [...args], {
    cwd: dir,
    encoding: 'utf8',
    env: {
      ...process.env,
      ...QUIET_ENV,
      TF_CLI_CONFIG_FILE: config,
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      ...env,
    },
  });
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Where the Vault stack's Kubernetes auth mounts send their TokenReviews. */
export interface KubernetesForVault {
  readonly host: string;
  readonly caCert: string;
  /** A reviewer token for the mounts; absent: the client's own JWT is used. */
  readonly jwt?: string;
}

/** `tofu init` and `tofu apply` of the stack in `dir` against `bao`; throws with tofu's output on failure. */
export function tofuApply(dir: string, bao: OpenBao, kubernetes: KubernetesForVault): string {
  const init = tofu(dir, ['init', '-no-color']);
  if (init.status !== 0) throw new Error(`tofu init failed:\n${init.stderr}\n${init.stdout}`);
  const apply = tofu(
    dir,
    [
      'apply',
      '-auto-approve',
      '-no-color',
      `-var=vault_address=${bao.address}`,
      `-var=kubernetes_host=${kubernetes.host}`,
      `-var=kubernetes_ca_cert=${kubernetes.caCert}`,
      ...(kubernetes.jwt ? [`-var=kubernetes_jwt=${kubernetes.jwt}`] : []),
      '-var=kubernetes_disable_local_ca_jwt=true',
    ],
    { VAULT_TOKEN: bao.rootToken },
  );
  if (apply.status !== 0) throw new Error(`tofu apply failed:\n${apply.stderr}\n${apply.stdout}`);
  return apply.stdout;
}

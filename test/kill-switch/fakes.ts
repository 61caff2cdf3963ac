/**
 * Recording fakes of `kubectl` and `curl` for running the generated kill-switch scripts under real
 * bash: each call appends its argv as one JSON line to a shared log, so the order across tools is
 * kept. A kubectl subcommand named in FAKE_KUBECTL_FAIL (comma-separated) exits 1; `kubectl get` of
 * one named object (`get kind/name`) prints that name, as `-o name` does, or nothing (like
 * `--ignore-not-found` for a missing object) when it is listed in FAKE_KUBECTL_GONE (comma-separated);
 * any other `kubectl get` (a listing) prints FAKE_KUBECTL_GET_OUTPUT. The fake curl also records the headers it was given through
 * `--header @file`, to prove the Vault token never appears on a command line.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RECORDER = `#!/usr/bin/env node
const fs = require('fs');
const tool = require('path').basename(process.argv[1]);
const argv = process.argv.slice(2);
const entry = { tool, argv };
if (tool === 'curl') {
  const at = argv.indexOf('--header');
  if (at >= 0 && argv[at + 1].startsWith('@')) entry.headerFile = fs.readFileSync(argv[at + 1].slice(1), 'utf8');
}
fs.appendFileSync(process.env.FAKE_LOG, JSON.stringify(entry) + '\\n');
if (tool === 'kubectl') {
  if ((process.env.FAKE_KUBECTL_FAIL || '').split(',').includes(argv[0])) {
    process.stderr.write('fake kubectl: ' + argv[0] + ' refused\\n');
    process.exit(1);
  }
  if (argv[0] === 'get' && argv[1].includes('/')) {
    if (!(process.env.FAKE_KUBECTL_GONE || '').split(',').includes(argv[1])) process.stdout.write(argv[1] + '\\n');
  } else if (argv[0] === 'get') process.stdout.write(process.env.FAKE_KUBECTL_GET_OUTPUT || '');
}
`;

export interface Call {
  readonly tool: string;
  readonly argv: string[];
  readonly headerFile?: string;
}

export interface ScriptRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly calls: Call[];
}

export class Fakes {
  readonly bin: string;
  private readonly log: string;

  constructor() {
    const dir = mkdtempSync(join(tmpdir(), 'agentguard-kill-fakes-'));
    this.bin = join(dir, 'bin');
    this.log = join(dir, 'calls.jsonl');
    mkdirSync(this.bin, { recursive: true });
    for (const tool of ['kubectl', 'curl']) {
      writeFileSync(join(this.bin, tool), RECORDER);
      chmodSync(join(this.bin, tool), 0o755);
    }
  }

  /**
   * Runs a script with bash, fakes first on PATH and a clean environment (nothing of the caller's
   * Vault or Kubernetes settings leaks in). `realCurl` leaves curl out of the fakes.
   */
  run(
    script: string,
    args: readonly string[],
    env: Record<string, string> = {},
    realCurl = false,
  ): ScriptRun {
    writeFileSync(this.log, '');
    const path = realCurl ? `${this.realCurlBin()}:${process.env.PATH}` : `${this.bin}:${process.env.PATH}`;
    const run = spawnSync('bash', [script, ...args], {
      encoding: 'utf8',
      env: { PATH: path, HOME: tmpdir(), FAKE_LOG: this.log, ...env },
    });
    if (run.error) throw run.error;
    const calls = readFileSync(this.log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Call);
    return { status: run.status, stdout: run.stdout, stderr: run.stderr, calls };
  }

  /** A bin folder holding only the fake kubectl, so the real curl is found next on PATH. */
  private realCurlBin(): string {
    const dir = join(this.bin, '..', 'kubectl-only');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'kubectl'), RECORDER);
    chmodSync(join(dir, 'kubectl'), 0o755);
    return dir;
  }
}

/** kubectl argv only, in order. */
export const kubectlCalls = (run: ScriptRun): string[][] =>
  run.calls.filter((c) => c.tool === 'kubectl').map((c) => c.argv);

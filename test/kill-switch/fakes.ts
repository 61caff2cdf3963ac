/**
 * Recording fakes of `kubectl` and `curl` for running the generated kill-switch scripts under real
 * bash: each call appends its argv as one record to a shared log, so the order across tools is
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

/**
 * The recorder is bash, not node: a script run makes a dozen calls, and a node start per call cost
 * more than everything else in these tests. Each call appends one record of NUL-terminated fields:
 * the tool, the argument count, each argument, then for curl's `--header @file` a 1 and the file's
 * bytes (else a 0). NUL is the one byte no argument can hold, so nothing needs escaping.
 */
const RECORDER = `#!/usr/bin/env bash
tool=\${0##*/}
{
  printf '%s\\0' "$tool" "$#" "$@"
  header=
  if [ "$tool" = curl ]; then
    args=("$@")
    for ((i = 0; i < \${#args[@]} - 1; i++)); do
      if [ "\${args[i]}" = --header ] && [ "\${args[i + 1]:0:1}" = @ ]; then header=\${args[i + 1]:1}; break; fi
    done
  fi
  if [ -n "$header" ]; then printf '1\\0'; cat -- "$header"; printf '\\0'; else printf '0\\0'; fi
} >> "$FAKE_LOG"
if [ "$tool" = kubectl ]; then
  IFS=, read -r -a fail <<< "\${FAKE_KUBECTL_FAIL:-}"
  for f in "\${fail[@]}"; do
    if [ "$f" = "$1" ]; then
      printf 'fake kubectl: %s refused\\n' "$1" >&2
      exit 1
    fi
  done
  if [ "$1" = get ] && [[ "$2" == */* ]]; then
    IFS=, read -r -a gone <<< "\${FAKE_KUBECTL_GONE:-}"
    for g in "\${gone[@]}"; do [ "$g" = "$2" ] && exit 0; done
    printf '%s\\n' "$2"
  elif [ "$1" = get ]; then
    printf '%s' "\${FAKE_KUBECTL_GET_OUTPUT:-}"
  fi
fi
`;

/** The calls a run recorded, in order (see RECORDER for the record format). */
function parseCalls(log: string): Call[] {
  const fields = log.split('\0');
  const calls: Call[] = [];
  let at = 0;
  while (at < fields.length - 1) {
    const tool = fields[at];
    const count = Number(fields[at + 1]);
    const argv = fields.slice(at + 2, at + 2 + count);
    at += 2 + count;
    const hasHeader = fields[at] === '1';
    at += 1;
    if (hasHeader) {
      calls.push({ tool, argv, headerFile: fields[at] });
      at += 1;
    } else calls.push({ tool, argv });
  }
  return calls;
}

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
      // Standard input is not a socket (node's default pipe): given one and no SHLVL, bash takes itself
      // for a remote shell and reads the machine's ~/.bashrc, which these runs must not depend on.
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      env: { PATH: path, HOME: tmpdir(), FAKE_LOG: this.log, ...env },
    });
    if (run.error) throw run.error;
    const calls = parseCalls(readFileSync(this.log, 'utf8'));
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

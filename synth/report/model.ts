/** The blast radius of one agent, as rows a reviewer reads and a diff compares. */
import type { EffectiveRow } from './effective';

export interface AccessRow {
  readonly namespace: string;
  readonly apiGroup: string;
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  /** Whether a RoleBinding grants the Role (not while the kill switch is engaged). */
  readonly bound: boolean;
}

export interface AdmissionRow {
  readonly policy: string;
  readonly title: string;
  readonly effect: string;
}

export interface EgressRow {
  readonly destination: string;
  readonly ports: string;
  /** The NetworkPolicy that allows it. */
  readonly policy: string;
}

/** What pods the agent writes in one namespace may use (AG202). */
export interface PodReachRow {
  readonly namespace: string;
  readonly serviceAccounts: readonly string[];
  readonly secrets: readonly string[];
  /** PersistentVolumeClaims and CSI drivers, each with its kind. */
  readonly volumes: readonly string[];
  readonly registries: readonly string[];
}

export interface VaultRow {
  readonly path: string;
  readonly capabilities: readonly string[];
}

export interface VaultReach {
  readonly paths: readonly VaultRow[];
  readonly ttl: string;
  readonly maxTtl: string;
  /** The auth mount and role it logs in with; undefined when login is disabled (kill switch). */
  readonly login?: string;
}

export interface AgentReach {
  readonly name: string;
  readonly namespace: string;
  readonly username: string;
  readonly phase: string;
  readonly killSwitch: string;
  readonly access: readonly AccessRow[];
  /** What of `access` admission lets through (synth/report/effective.ts): what the diagram draws. */
  readonly effective: readonly EffectiveRow[];
  readonly admission: readonly AdmissionRow[];
  /** Namespaces where it may write pods, and what those pods may reach. */
  readonly pods: readonly PodReachRow[];
  readonly egress: readonly EgressRow[];
  /** Undefined for an agent without Vault paths: Vault issues it nothing. */
  readonly vault?: VaultReach;
  /** Policies not in deny for this agent (staged rollout), with until and why; undefined: all deny. */
  readonly enforcement?: string;
}

export const SECTIONS = ['state', 'access', 'admission', 'pods', 'egress', 'vault'] as const;
export type Section = (typeof SECTIONS)[number];

export const SECTION_TITLES: Readonly<Record<Section, string>> = {
  state: 'Phase and kill switch',
  access: 'Kubernetes access (RBAC)',
  admission: 'Admission (Gatekeeper pack)',
  pods: 'Pods it writes (what its workloads can reach)',
  egress: 'Egress',
  vault: 'Vault',
};

/** Each section as table rows of cells: the one shape both the report and the diff render. */
export function sectionRows(reach: AgentReach): Record<Section, string[][]> {
  const vault = reach.vault;
  return {
    state: [
      ['phase', reach.phase],
      ['kill switch', reach.killSwitch],
      ['identity', reach.username],
      ...(reach.enforcement ? [['enforcement (not deny)', reach.enforcement]] : []),
    ],
    access: reach.access.map((r) => [
      r.namespace,
      r.apiGroup === '' ? '(core)' : r.apiGroup,
      r.resources.join(', '),
      r.verbs.join(', '),
      r.bound ? 'yes' : 'no (no RoleBinding)',
    ]),
    admission: reach.admission.map((r) => [r.policy, r.title, r.effect]),
    pods: reach.pods.map((r) => [
      r.namespace,
      r.serviceAccounts.join(', '),
      r.secrets.length === 0 ? 'none' : r.secrets.join(', '),
      r.volumes.length === 0 ? 'none' : r.volumes.join(', '),
      r.registries.length === 0 ? 'none: it cannot write pods here' : r.registries.join(', '),
    ]),
    egress: reach.egress.map((r) => [r.destination, r.ports, r.policy]),
    vault: vault
      ? [
          [
            'login',
            vault.login ?? 'disabled: no auth role (kill switch)',
            `ttl ${vault.ttl}, max ${vault.maxTtl}`,
          ],
          ...vault.paths.map((p) => ['path', p.path, p.capabilities.join(', ')]),
        ]
      : [],
  };
}

export const SECTION_HEADERS: Readonly<Record<Section, readonly string[]>> = {
  state: ['what', 'value'],
  access: ['namespace', 'API group', 'resources', 'verbs', 'bound'],
  admission: ['policy', 'title', 'for this agent'],
  pods: ['namespace', 'ServiceAccounts', 'Secrets', 'claims and CSI drivers', 'images from'],
  egress: ['destination', 'ports', 'allowed by'],
  vault: ['what', 'path or mount', 'capabilities or TTLs'],
};

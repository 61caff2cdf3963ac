/**
 * The plural resource of a kind, as an AdmissionRequest's `resource` spells it. A file of manifests
 * carries kinds, not resources, and offline there is no API discovery to ask, so: the kinds agentguard
 * knows (lib/kinds.ts) and the core kinds with irregular plurals come from a table; any other kind
 * gets the guess Kubernetes itself makes without discovery (`meta.UnsafeGuessKindToResource` in
 * k8s.io/apimachinery): lowercase, then `s` → `ses`, `y` → `ies`, else `+s`.
 */
import { MANAGEABLE_KINDS } from '../kinds';

const IRREGULAR: Readonly<Record<string, string>> = {
  Endpoints: 'endpoints',
  PodSecurityPolicy: 'podsecuritypolicies',
};

const key = (group: string, kind: string) => `${group}/${kind}`;

const KNOWN = new Map<string, string>(
  Object.values(MANAGEABLE_KINDS).map((k) => [key(k.group, k.kind), k.resource]),
);

/** Kubernetes' discovery-free guess (UnsafeGuessKindToResource). */
export function guessResource(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower === '') return '';
  if (lower.endsWith('s')) return `${lower}es`;
  if (lower.endsWith('y')) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

export function resourceFor(group: string, kind: string): string {
  return KNOWN.get(key(group, kind)) ?? IRREGULAR[kind] ?? guessResource(kind);
}

/**
 * Cluster-scoped kinds, by API group: their requests carry no namespace, whatever the manifest or
 * --namespace says (the API server clears it, as `rest.EnsureObjectNamespaceMatchesRequestNamespace`
 * does). Offline there is no discovery to ask, so this is a table of the built-in cluster-scoped kinds
 * and Gatekeeper's; any other kind, a custom resource included, is taken as namespaced, as most are.
 */
const CLUSTER_SCOPED: Readonly<Record<string, readonly string[]>> = {
  '': ['ComponentStatus', 'Namespace', 'Node', 'PersistentVolume'],
  'admissionregistration.k8s.io': [
    'MutatingAdmissionPolicy',
    'MutatingAdmissionPolicyBinding',
    'MutatingWebhookConfiguration',
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
    'ValidatingWebhookConfiguration',
  ],
  'apiextensions.k8s.io': ['CustomResourceDefinition'],
  'apiregistration.k8s.io': ['APIService'],
  'certificates.k8s.io': ['CertificateSigningRequest', 'ClusterTrustBundle'],
  'flowcontrol.apiserver.k8s.io': ['FlowSchema', 'PriorityLevelConfiguration'],
  'networking.k8s.io': ['IngressClass', 'IPAddress', 'ServiceCIDR'],
  'node.k8s.io': ['RuntimeClass'],
  'rbac.authorization.k8s.io': ['ClusterRole', 'ClusterRoleBinding'],
  'scheduling.k8s.io': ['PriorityClass'],
  'storage.k8s.io': ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment', 'VolumeAttributesClass'],
  'templates.gatekeeper.sh': ['ConstraintTemplate'],
  'mutations.gatekeeper.sh': ['Assign', 'AssignImage', 'AssignMetadata', 'ModifySet'],
};

/** Every Gatekeeper constraint kind (AgentGuard* and any other template's) is cluster-scoped. */
const CLUSTER_SCOPED_GROUPS = new Set(['constraints.gatekeeper.sh']);

export function isClusterScoped(group: string, kind: string): boolean {
  return CLUSTER_SCOPED_GROUPS.has(group) || (CLUSTER_SCOPED[group]?.includes(kind) ?? false);
}

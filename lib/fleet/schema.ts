/**
 * The fleet file: the single source of truth for its types (inferred below) and for the published
 * JSON Schema (generated from this file by `npm run schema`, checked for drift in `npm test`).
 *
 * Every object is strict: an unknown key is an error, so a typo never silently drops a guardrail.
 * Every optional field has a secure default.
 */
import { z } from 'zod';
import { DELEGATION_ALGORITHMS } from './algorithms';
import { DURATION_PATTERN } from '../duration';
import { MANAGEABLE_KIND_NAMES } from '../kinds';
import { PHASES } from '../phases';

export const API_VERSION = 'agentguard.dev/v1alpha1';
export const KIND = 'AgentFleet';

/** RFC 1123 label, as Kubernetes requires for namespaces and most names. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** sha256 digest pin, e.g. registry.example.com/team/app@sha256:<64 hex>. */
export const DIGEST_PATTERN = /@sha256:[a-f0-9]{64}$/;
const IMAGE_PATTERN =
  /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const CIDR = /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)\/(3[0-2]|[12]?\d)$/;
/** Identity patterns: literal usernames with optional `*` wildcards. */
const IDENTITY_PATTERN = /^[A-Za-z0-9@._:*+-]+$/;
/** One literal username, no wildcards: a promotion names the one person who approved it. */
const USERNAME_PATTERN = /^[A-Za-z0-9@._:+-]+$/;

export const dnsLabel = (what: string, max = 63) =>
  z
    .string()
    .max(max)
    .regex(DNS_LABEL, { message: `must be a lowercase RFC 1123 label (a-z, 0-9, '-'), naming ${what}` });

const duration = z
  .string()
  .regex(DURATION_PATTERN, { message: 'must be a duration such as 90s, 15m or 1h30m' })
  .refine((s) => s !== '', { message: 'must be a duration such as 90s, 15m or 1h30m' });

const quantity = (example: string) =>
  z.string().regex(QUANTITY, { message: `must be a Kubernetes quantity such as ${example}` });

const port = z.int().min(1).max(65535);

const kindName = z.enum(MANAGEABLE_KIND_NAMES as [string, ...string[]]);

export const ResourcesSchema = z
  .strictObject({
    cpuRequest: quantity('100m').default('100m').describe('CPU request of the agent container.'),
    cpuLimit: quantity('500m').default('500m').describe('CPU limit of the agent container.'),
    memoryRequest: quantity('128Mi').default('128Mi').describe('Memory request of the agent container.'),
    memoryLimit: quantity('512Mi').default('512Mi').describe('Memory limit of the agent container.'),
  })
  .describe('Resource requests and limits (I7: every agent pod has both).');

export const WorkloadSchema = z
  .strictObject({
    kind: z
      .enum(['deployment', 'job', 'cronjob'])
      .default('deployment')
      .describe('How the agent runs: a long-lived Deployment, or one task per Job / CronJob run.'),
    replicas: z.int().min(0).max(50).default(1).describe('Replicas of a deployment agent.'),
    schedule: z
      .string()
      .regex(/^(\S+\s+){4}\S+$/, { message: 'must be a five-field cron expression such as "*/15 * * * *"' })
      .optional()
      .describe('Cron schedule; required for, and only allowed with, kind cronjob.'),
    activeDeadlineSeconds: z
      .int()
      .min(1)
      .max(86400)
      .default(900)
      .describe('Jobs and CronJobs: a run is stopped after this many seconds.'),
    backoffLimit: z.int().min(0).max(10).default(0).describe('Jobs and CronJobs: retries of a failed run.'),
    ttlSecondsAfterFinished: z
      .int()
      .min(0)
      .max(604800)
      .default(3600)
      .describe('Jobs and CronJobs: finished runs are removed after this many seconds.'),
    resources: ResourcesSchema.prefault({}),
  })
  .describe('The workload that runs the agent.');

/** A DNS subdomain (RFC 1123), as Kubernetes requires for Secret, ServiceAccount and PVC names. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const objectNames = (what: string) =>
  z
    .array(
      z
        .string()
        .max(253)
        .regex(DNS_SUBDOMAIN, {
          message: `must be a Kubernetes object name (RFC 1123 subdomain) of ${what}`,
        }),
    )
    .default([]);
/** A registry host, optionally with a port and a path: registry.example.com/team. */
const REGISTRY = /^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)*$/;
const registry = z
  .string()
  .regex(REGISTRY, { message: 'must be a registry such as registry.example.com/team' });

export const TargetPodsSchema = z
  .strictObject({
    registries: z
      .array(registry)
      .default([])
      .describe(
        'Registries (host, optionally with a path) the images of pods the agent writes here must come from; by digest unless the registry is in spec.imagePolicy.allowTagsFrom. Empty: the agent cannot write any pod here.',
      ),
    serviceAccounts: objectNames('a ServiceAccount').describe(
      'ServiceAccounts of this namespace the pods may run as, besides `default`. Empty: default only.',
    ),
    secrets: objectNames('a Secret').describe(
      'Secrets of this namespace the pods may reference (env, envFrom, secret and projected volumes, CSI node-publish secrets, image pull secrets). Empty: none.',
    ),
    persistentVolumeClaims: objectNames('a PersistentVolumeClaim').describe(
      'PersistentVolumeClaims of this namespace the pods may mount. Empty: none.',
    ),
    csiDrivers: objectNames('a CSI driver').describe(
      'CSI drivers the pods may use in inline volumes (a secrets-store driver mounts secrets the fleet cannot see). Empty: none.',
    ),
  })
  .describe(
    'What pods the agent creates or changes in this namespace may use (I2): whoever writes a workload can run it as any ServiceAccount and with any Secret of the namespace, so each is denied unless named here.',
  );

/** Service types an agent may write besides ClusterIP, which is always allowed. */
export const EXPOSED_SERVICE_TYPES = ['NodePort', 'LoadBalancer', 'ExternalName'] as const;

export const TargetExposureSchema = z
  .strictObject({
    serviceTypes: z
      .array(z.enum(EXPOSED_SERVICE_TYPES))
      .default([])
      .describe(
        'Service types the agent may write here besides ClusterIP (always allowed): NodePort and LoadBalancer expose pods outside the cluster, ExternalName makes a name in the cluster resolve anywhere. Empty: ClusterIP only. spec.externalIPs is never allowed (CVE-2020-8554).',
      ),
    loadBalancerSourceRanges: z
      .array(z.string().regex(CIDR, { message: 'must be an IPv4 CIDR such as 203.0.113.0/24' }))
      .default([])
      .describe(
        'Client ranges a LoadBalancer Service the agent writes here may admit: each of its spec.loadBalancerSourceRanges must be one of these, and it must set at least one. Empty: no LoadBalancer Service (list 0.0.0.0/0 to allow the whole internet).',
      ),
    ingressClasses: objectNames('an IngressClass').describe(
      'IngressClasses the Ingresses the agent writes here may use (spec.ingressClassName or the kubernetes.io/ingress.class annotation). Empty: any class; listed: one of these, named explicitly.',
    ),
    tlsSecrets: objectNames('a Secret').describe(
      'Secrets of this namespace the Ingresses may name in spec.tls[].secretName (the controller serves that certificate and key). Kept apart from pods.secrets: serving a certificate is not reading it, and listing a TLS Secret in pods.secrets would hand its private key to every pod the agent writes. Empty: no TLS Secret.',
    ),
    defaultBackend: z
      .boolean()
      .default(false)
      .describe(
        'Whether the Ingresses may set spec.defaultBackend, which takes the traffic no rule matches. Default: no.',
      ),
  })
  .refine((e) => e.loadBalancerSourceRanges.length === 0 || e.serviceTypes.includes('LoadBalancer'), {
    path: ['loadBalancerSourceRanges'],
    message: 'only means something with LoadBalancer in serviceTypes; add it there or remove the ranges',
  })
  .describe(
    'What Services and Ingresses the agent creates or changes in this namespace may expose (I2): a Service or Ingress acts with the privileges of kube-proxy, the cloud load balancer and the ingress controller, so each exposure is denied unless named here (AG203).',
  );

export const TargetSchema = z
  .strictObject({
    namespace: dnsLabel('the target namespace').describe('A namespace the agent acts in.'),
    kinds: z
      .array(kindName)
      .min(1)
      .describe('Kinds the agent may read and, when its phase allows, update and patch here.'),
    create: z
      .boolean()
      .default(false)
      .describe('Whether the agent may also create objects of these kinds (supervised and autonomous).'),
    deleteKinds: z
      .array(kindName)
      .default([])
      .describe('Kinds the agent may delete here (I1 exception); autonomous agents only, a subset of kinds.'),
    pods: TargetPodsSchema.prefault({}),
    exposure: TargetExposureSchema.prefault({}),
  })
  .describe('A namespace the agent acts in and what it may do there.');

export const EgressSchema = z
  .strictObject({
    namespace: dnsLabel('the destination namespace')
      .optional()
      .describe('Destination namespace (pods in it).'),
    cidr: z
      .string()
      .regex(CIDR, { message: 'must be an IPv4 CIDR such as 10.20.0.0/16' })
      .optional()
      .describe('Destination IPv4 CIDR.'),
    ports: z.array(port).min(1).describe('Destination TCP ports.'),
  })
  .refine((e) => (e.namespace === undefined) !== (e.cidr === undefined), {
    message: 'must set exactly one of namespace or cidr',
  })
  .describe('An egress destination: exactly one of namespace or cidr, and its ports (I8).');

export const VaultSecretSchema = z
  .strictObject({
    path: z
      .string()
      .regex(/^[A-Za-z0-9_.\-/+*]+$/, { message: 'must be a Vault path such as secret/data/agents/triage/*' })
      .describe('Vault path; `*` only as the last character, `+` for one segment.'),
    capabilities: z
      .array(z.enum(['read', 'list', 'create', 'update', 'patch', 'delete']))
      .min(1)
      .default(['read'])
      .describe('Capabilities on the path; read-only by default.'),
  })
  .describe('A Vault path the agent may use.');

export const VaultSchema = z
  .strictObject({
    secrets: z.array(VaultSecretSchema).default([]).describe('The only Vault paths the agent may use.'),
    ttl: duration
      .optional()
      .describe('Token TTL; defaults by phase (15m shadow and advisory, 30m supervised, 1h autonomous).'),
    maxTtl: duration
      .optional()
      .describe('Token max TTL; defaults by phase (30m, 1h, 2h, 4h) and may not exceed the phase ceiling.'),
  })
  .describe('Vault access of the agent; no paths means no Vault role at all.');

export const ATTRIBUTION_MODES = ['claimed', 'signed'] as const;

export const AttributionSchema = z
  .strictObject({
    initiators: z
      .array(
        z.string().regex(IDENTITY_PATTERN, { message: 'must be a username or a pattern with * wildcards' }),
      )
      .default([])
      .describe(
        "Human identities who may initiate the agent's actions (I3). Required unless shadow. Patterns: `*` matches any run of characters except `@` (so `*@shop.example` never matches `x@evil.example@shop.example`); every other character is literal.",
      ),
    mode: z
      .enum(ATTRIBUTION_MODES)
      .default('claimed')
      .describe(
        'claimed (default): the initiator annotation or userInfo.extra names the human; the agent writes it, so it is a claim. signed: every mutation also carries a delegation token signed by a trusted issuer (spec.attribution.issuers) for this agent, this human and this trace; the agent cannot forge it.',
      ),
    issuers: z
      .array(dnsLabel('a trusted issuer in spec.attribution.issuers'))
      .optional()
      .describe('signed mode: names of the issuers trusted for this agent. Default: every fleet issuer.'),
  })
  .describe("Who may stand behind the agent's mutations (I3).");

export { DELEGATION_ALGORITHMS, type DelegationAlgorithm } from './algorithms';

/** A public JWK (RFC 7517); checked further in lib/fleet/issuers.ts. Unknown members are kept. */
export const JwkSchema = z
  .looseObject({
    kty: z.string().describe('Key type: EC (P-256), OKP (Ed25519) or RSA.'),
    kid: z.string().optional(),
    alg: z.string().optional(),
  })
  .describe('A public JSON Web Key.');

export const JwksSchema = z
  .looseObject({ keys: z.array(JwkSchema).min(1) })
  .describe('A JSON Web Key Set with at least one public key.');

export const IssuerSchema = z
  .strictObject({
    name: dnsLabel('the issuer').describe('Name agents refer to in attribution.issuers.'),
    issuer: z
      .string()
      .min(1)
      .describe('The `iss` claim of its tokens, exactly (e.g. https://sso.shop.example).'),
    audience: z
      .string()
      .min(1)
      .describe(
        'The audience its tokens must carry in `aud` for this fleet (name the cluster, e.g. https://prod.k8s.shop.example), so a token minted for another cluster is refused.',
      ),
    jwks: JwksSchema.optional().describe('Its public keys, inline. Exactly one of jwks or jwksFile.'),
    jwksFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        'A file with its public keys (JWKS JSON), relative to the fleet file, read at synth. Exactly one of jwks or jwksFile.',
      ),
    algorithms: z
      .array(z.enum(DELEGATION_ALGORITHMS))
      .min(1)
      .default(['ES256'])
      .describe('Signature algorithms accepted from it; never none or HMAC.'),
    subjectClaim: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be a top-level claim name such as sub or email' })
      .default('sub')
      .describe(
        'The claim naming the human (default sub). OpenBao and Vault put an entity ID in sub, so a role template adds a claim such as username.',
      ),
  })
  .describe('An issuer of delegation tokens: the system the human used (SSO, chat-ops, a deploy portal).');

export const FleetAttributionSchema = z
  .strictObject({
    issuers: z.array(IssuerSchema).default([]).describe('Trusted issuers of delegation tokens.'),
    maxTtl: duration
      .default('15m')
      .describe('Longest lifetime (exp - iat) of a delegation token admission accepts.'),
    clockSkew: duration
      .default('60s')
      .describe(
        'Tolerance for iat and nbf in the future (issuer and API server clocks differ); exp gets none.',
      ),
  })
  .describe('Signed attribution (I3): whose signatures prove which human stands behind an agent.');

export const KillSwitchSchema = z
  .strictObject({
    state: z
      .enum(['armed', 'engaged'])
      .default('armed')
      .describe('engaged stops the agent on every layer (I6).'),
    engagedBy: z.string().min(1).optional().describe('Who engaged the switch; required when engaged.'),
    reason: z.string().min(1).optional().describe('Why the switch was engaged; required when engaged.'),
  })
  .describe("The agent's kill switch (I6).");

export const LimitsSchema = z
  .strictObject({
    maxReplicas: z
      .int()
      .min(0)
      .max(100)
      .default(3)
      .describe('Highest replica count the agent may set on any workload or HPA it changes (I4).'),
  })
  .describe('Runtime limits beyond RBAC (I4).');

export const PromotionSchema = z
  .strictObject({
    phase: z
      .enum(PHASES)
      .describe(
        "The phase this approval is for; it must equal the agent's phase, so an approval left in the file cannot carry a later promotion.",
      ),
    approvedBy: z
      .string()
      .regex(USERNAME_PATTERN, {
        message: 'must be one username such as alice@example.com, without wildcards',
      })
      .describe(
        'The human who approved raising the phase: a username, never a service account or other `system:` identity, and never the agent itself.',
      ),
    reason: z.string().min(1).optional().describe('Why the agent was promoted, for reviewers.'),
  })
  .describe(
    'Approval of the phase the agent is in (I5). Required whenever the phase rises above the one recorded in the lock file beside the fleet; the lock records the approver.',
  );

/** Gatekeeper's enforcement actions, strictest first. */
export const ENFORCEMENT_ACTIONS = ['deny', 'warn', 'dryrun'] as const;
export type EnforcementAction = (typeof ENFORCEMENT_ACTIONS)[number];
/** A stable policy ID of the pack, e.g. AG301 (the loader checks it names a policy of the pack). */
export const POLICY_ID_PATTERN = /^AG[0-9]{3}$/;
const policyId = z.string().regex(POLICY_ID_PATTERN, { message: 'must be a policy ID such as AG301' });
const enforcementAction = z.enum(ENFORCEMENT_ACTIONS);
/** A calendar day, YYYY-MM-DD; compared with the clock only by `synth --today`, never read at synth. */
const isoDate = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, { message: 'must be a date such as 2026-08-01' });

export const FleetEnforcementSchema = z
  .strictObject({
    action: enforcementAction
      .default('deny')
      .describe(
        'What Gatekeeper does with a violation of any policy: deny (default), warn or dryrun (audit only).',
      ),
    policies: z
      .record(z.string(), enforcementAction)
      .default({})
      .describe('Per policy ID (e.g. AG301: warn), overriding action. AG601 (kill switch) is always deny.'),
    until: isoDate
      .optional()
      .describe(
        'Day the relaxations here end; `synth --today <day>` refuses the fleet after it. Never read from the clock at synth.',
      ),
    reason: z.string().min(1).optional().describe('Why the pack is relaxed, for reviewers.'),
  })
  .describe('Staged rollout of the policy pack: dryrun, then warn, then deny.');

export const AgentEnforcementSchema = z
  .strictObject({
    action: enforcementAction
      .optional()
      .describe("This agent's action for every policy (AG601 stays deny); default: the fleet's."),
    policies: z
      .record(z.string(), enforcementAction)
      .default({})
      .describe("Per policy ID for this agent; overrides the agent's action and the fleet's."),
    until: isoDate.describe(
      'Day this agent leaves its relaxed rollout (required: per-agent modes are for new agents).',
    ),
    reason: z.string().min(1).describe('Why the agent is relaxed, for reviewers.'),
  })
  .describe(
    'Enforcement of the pack for this agent while it is new; one constraint per mode holds its agents.',
  );

/** `Kind/namespace/name` of one object, e.g. Deployment/shop/legacy-api. */
const EXEMPT_OBJECT_PATTERN = /^([A-Za-z]+)\/([^/]+)\/([^/]+)$/;

/** An exempted object's parts, or undefined when the text is not `Kind/namespace/name`. */
export function exemptObjectParts(
  ref: string,
): { kind: string; namespace: string; name: string } | undefined {
  const [matched, kind, namespace, name] = EXEMPT_OBJECT_PATTERN.exec(ref) ?? [];
  return matched === undefined ? undefined : { kind, namespace, name };
}

/**
 * Whether an agent may create objects of this kind in this namespace (a target with `create` naming
 * the kind): such an object is never safe to exempt, since the agent could make it and then change
 * it unchecked.
 */
export function agentMayCreate(
  agent: { readonly targets: readonly { namespace: string; create: boolean; kinds: readonly string[] }[] },
  kind: string,
  namespace: string,
): boolean {
  return agent.targets.some((t) => t.namespace === namespace && t.create && t.kinds.includes(kind));
}

const exemptObject = z.string().superRefine((ref, ctx) => {
  const parts = exemptObjectParts(ref);
  if (!parts) {
    ctx.addIssue({
      code: 'custom',
      message: `"${ref}" must be Kind/namespace/name of one namespaced object, e.g. Deployment/shop/legacy-api`,
    });
    return;
  }
  const { kind, namespace, name } = parts;
  if (!MANAGEABLE_KIND_NAMES.includes(kind)) {
    ctx.addIssue({
      code: 'custom',
      message: `kind "${kind}" is not one agents can manage; use one of ${MANAGEABLE_KIND_NAMES.join(', ')}`,
    });
  }
  if (namespace.length > 63 || !DNS_LABEL.test(namespace)) {
    ctx.addIssue({
      code: 'custom',
      message: `namespace "${namespace}" must be a lowercase RFC 1123 label (a-z, 0-9, '-')`,
    });
  }
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    ctx.addIssue({
      code: 'custom',
      message: `name "${name}" must be a lowercase RFC 1123 subdomain (a-z, 0-9, '-', '.'); generated names cannot be exempted`,
    });
  }
});

export const ExemptionSchema = z
  .strictObject({
    policies: z.array(policyId).min(1).describe('Policy IDs exempted; never AG202, AG203, AG601 or AG701.'),
    namespaces: z
      .array(dnsLabel('an exempted namespace'))
      .default([])
      .describe(
        'Namespaces excluded from those policies (constraint match.excludedNamespaces); never an agent namespace.',
      ),
    objects: z
      .array(exemptObject)
      .default([])
      .describe(
        'Single existing objects exempted from those policies, as Kind/namespace/name (e.g. Deployment/shop/legacy-api): UPDATE and DELETE of that object, its subresources included (e.g. kubectl scale), skip the policies; CREATE never does. Never in an agent namespace.',
      ),
    reason: z.string().min(1).describe('Why, for reviewers and the report.'),
    approvedBy: z
      .string()
      .regex(USERNAME_PATTERN, {
        message: 'must be one username such as alice@example.com, without wildcards',
      })
      .describe('The human who approved the exemption; never a service account or system identity.'),
  })
  .refine((e) => e.namespaces.length + e.objects.length > 0, {
    message: 'exempts nothing; list namespaces, or objects as Kind/namespace/name',
    path: ['namespaces'],
  })
  .describe('Namespaces or single objects exempted from named policies, with who approved it and why.');

const SECRET_BACKEND_KEYS = [
  'access_key',
  'secret_key',
  'token',
  'sse_customer_key',
  'credentials',
  'access_token',
  'encryption_key',
  'password',
  'conn_str',
  'client_key',
  'client_certificate',
];
const remoteBackend = (what: string) =>
  z
    .record(z.string(), z.unknown())
    .superRefine((config, ctx) => {
      for (const key of Object.keys(config)) {
        if (SECRET_BACKEND_KEYS.includes(key)) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `is a credential and synth output is committed; pass it through the environment or \`tofu init -backend-config\` instead`,
          });
        }
      }
    })
    .optional()
    .describe(`Terraform ${what} backend block, passed through as plain Terraform JSON (no credentials).`);

export const TerraformBackendSchema = z
  .strictObject({
    local: z
      .strictObject({
        path: z
          .string()
          .min(1)
          .describe(
            'State file; a relative path is relative to the folder of the fleet file, never inside the output folder.',
          ),
      })
      .optional()
      .describe('Local state file (default: .agentguard-state/<fleet name>.tfstate beside the fleet file).'),
    s3: remoteBackend('s3'),
    gcs: remoteBackend('gcs'),
    http: remoteBackend('http'),
    pg: remoteBackend('pg'),
    kubernetes: remoteBackend('kubernetes'),
  })
  .refine((b) => Object.values(b).filter((v) => v !== undefined).length === 1, {
    message: 'must set exactly one of local, s3, gcs, http, pg, kubernetes',
  })
  .describe(
    'Where OpenTofu/Terraform keeps the Vault stack state; never inside the output folder, which synth replaces.',
  );

export const AgentSchema = z
  .strictObject({
    name: dnsLabel('the agent', 40).describe('Agent name; also its ServiceAccount name.'),
    namespace: dnsLabel('the agent namespace').describe(
      'Namespace the agent runs in; agentguard manages it.',
    ),
    image: z
      .string()
      .regex(IMAGE_PATTERN, {
        message: 'must be an image reference such as registry.example.com/team/app@sha256:<64 hex>',
      })
      .describe(
        'Container image, pinned by digest unless its registry is in spec.imagePolicy.allowTagsFrom.',
      ),
    phase: z
      .enum(PHASES)
      .default('shadow')
      .describe('Trust phase (I5); new agents start in shadow and rise one phase per change.'),
    promotion: PromotionSchema.optional(),
    workload: WorkloadSchema.prefault({}),
    targets: z
      .array(TargetSchema)
      .default([])
      .describe('Namespaces the agent acts in; none means it acts nowhere.'),
    limits: LimitsSchema.prefault({}),
    egress: z.array(EgressSchema).default([]).describe('Egress beyond DNS and Vault; none by default (I8).'),
    vault: VaultSchema.prefault({}),
    killSwitch: KillSwitchSchema.prefault({}),
    attribution: AttributionSchema.prefault({}),
    enforcement: AgentEnforcementSchema.optional(),
  })
  .describe('One agent of the fleet.');

export const VaultSettingsSchema = z
  .strictObject({
    namespace: dnsLabel('the namespace Vault runs in')
      .default('vault')
      .describe('Kubernetes namespace of Vault, for egress.'),
    port: port.default(8200).describe('Vault API port, for egress.'),
    kubernetesAuthPath: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, { message: 'must be a mount path such as kubernetes' })
      .default('kubernetes')
      .describe(
        'Prefix of the Kubernetes auth mounts: each agent logs in at auth/<prefix>-<agent>, a mount of its own, so one agent can be revoked alone.',
      ),
    audience: z.string().min(1).default('vault').describe('Audience of the projected service-account token.'),
    kubernetesSecretsPath: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, { message: 'must be a mount path such as kubernetes' })
      .default('kubernetes')
      .describe(
        'Mount path of the Kubernetes secrets engine that issues short-lived Kubernetes credentials.',
      ),
    manageBackends: z
      .boolean()
      .default(false)
      .describe(
        "Also emit each agent's Kubernetes auth mount and its config and the Kubernetes secrets engine mount and its config (cluster address and CA from Terraform variables). Off: they must already exist at the paths agentguard names.",
      ),
    backend: TerraformBackendSchema.optional(),
  })
  .describe('Where Vault is and how agents log in.');

export const ImagePolicySchema = z
  .strictObject({
    allowTagsFrom: z
      .array(registry)
      .default([])
      .describe('Registries whose images may be referenced by tag instead of digest. Empty: digests only.'),
  })
  .describe('Image pinning (I7).');

/** Where a runbook script and the in-cluster runner reach Vault when no address is configured. */
export const defaultVaultAddress = (vault: { namespace: string; port: number }): string =>
  `http://vault.${vault.namespace}.svc:${vault.port}`;

export const KillSwitchSettingsSchema = z
  .strictObject({
    namespace: dnsLabel('the namespace of the kill-switch runners')
      .default('agentguard-system')
      .describe(
        'Namespace of the in-cluster kill-switch runners (one suspended CronJob per agent). No agent may run or act in it: an agent must not reach its own stop button (I2).',
      ),
    runnerImage: z
      .string()
      .regex(IMAGE_PATTERN, {
        message: 'must be an image reference such as registry.example.com/tools/kubectl@sha256:<64 hex>',
      })
      .regex(DIGEST_PATTERN, {
        message:
          'must be pinned by digest (image@sha256:<64 hex>), whatever spec.imagePolicy allows: the runner can stop every agent, so it never runs a tag that can move; pin the digest your registry reports',
      })
      .optional()
      .describe(
        'Image of the in-cluster runners: needs bash, kubectl and curl; always pinned by digest. Without it only the runbook scripts are emitted, not the in-cluster runners.',
      ),
    vaultAddress: z
      .string()
      .regex(/^https?:\/\/[^\s/]+(:[0-9]+)?$/, {
        message: 'must be an http(s) address without a path, such as https://vault.vault.svc:8200',
      })
      .optional()
      .describe(
        'Vault address the runners and runbook scripts revoke leases at (VAULT_ADDR overrides it at run time). Default: http://vault.<spec.vault.namespace>.svc:<spec.vault.port>, the Vault service inside the cluster.',
      ),
  })
  .describe("The kill switch's emergency path (I6): runbook scripts and in-cluster runners.");

/** Which admission engine enforces the pack: Gatekeeper's webhook, the API server's own VAP, or both. */
export const ENGINES = ['gatekeeper', 'vap', 'both'] as const;
export type Engine = (typeof ENGINES)[number];

export const FleetSpecSchema = z.strictObject({
  engine: z
    .enum(ENGINES)
    .default('gatekeeper')
    .describe(
      'What enforces the policy pack. gatekeeper (default): ConstraintTemplates and constraints in dist/policy-pack/, every policy. vap: ValidatingAdmissionPolicies and bindings in dist/vap/, enforced by the API server itself without Gatekeeper, for the policies CEL expresses (all but AG102 and AG301, which are then not enforced). both: the two together.',
    ),
  imagePolicy: ImagePolicySchema.prefault({}),
  vault: VaultSettingsSchema.prefault({}),
  killSwitch: KillSwitchSettingsSchema.prefault({}),
  enforcement: FleetEnforcementSchema.prefault({}),
  exemptions: z
    .array(ExemptionSchema)
    .default([])
    .describe('Namespaces or single objects exempted from named policies.'),
  attribution: FleetAttributionSchema.prefault({}),
  agents: z.array(AgentSchema).min(1).describe('The agents of the fleet.'),
});

export const FleetSchema = z
  .strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(KIND),
    metadata: z.strictObject({
      name: dnsLabel('the fleet').describe('Fleet name; labels every object agentguard emits.'),
    }),
    spec: FleetSpecSchema,
  })
  .describe('An agentguard fleet: the agents and every guardrail around them.');

/** What a user writes (YAML or TypeScript): optional fields may be left out. */
export type FleetInput = z.input<typeof FleetSchema>;
export type AgentInput = z.input<typeof AgentSchema>;
/** The fleet after validation, with every default filled in. */
export type Fleet = z.output<typeof FleetSchema>;
export type Agent = z.output<typeof AgentSchema>;
export type Target = z.output<typeof TargetSchema>;
export type TargetPods = z.output<typeof TargetPodsSchema>;
export type TargetExposure = z.output<typeof TargetExposureSchema>;
export type Egress = z.output<typeof EgressSchema>;
export type Promotion = z.output<typeof PromotionSchema>;
export type Issuer = z.output<typeof IssuerSchema>;
export type Jwk = z.output<typeof JwkSchema>;
export type KillSwitchSettings = z.output<typeof KillSwitchSettingsSchema>;
export type TerraformBackend = z.output<typeof TerraformBackendSchema>;
export type Exemption = z.output<typeof ExemptionSchema>;
export type FleetEnforcement = z.output<typeof FleetEnforcementSchema>;

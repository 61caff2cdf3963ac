# METADATA
# title: Pods an agent writes
# description: >-
#   Whoever may create or change a workload in a namespace can run a pod there as any of its
#   ServiceAccounts, with any of its Secrets and, unless admission says no, with host access
#   (invariant I2). So every pod an agent identity writes, by CREATE or UPDATE, in any namespace and
#   through any kind that carries a pod (a Pod, pods/ephemeralcontainers, the template of a
#   Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate
#   or a custom workload) is held to the hardened-pod standard of AG701 and may reach only what the
#   fleet names for that target under targets[].pods: ServiceAccounts (besides default), Secrets
#   (env, envFrom, secret and projected volumes, CSI node-publish secrets, image pull secrets),
#   PersistentVolumeClaims and CSI drivers. Service-account token projections are never allowed.
#   Images must come from the target's registries, by digest unless the registry is in
#   spec.imagePolicy.allowTagsFrom: a digest pins bytes, not trust. The new object is checked
#   whole, so an UPDATE cannot keep or smuggle in a field that was already bad.
# custom:
#   id: AG202
#   invariant: I2
#   kind: AgentGuardAgentPods
#   exemptible: false
#   parameters:
#     allowTagsFrom:
#       type: array
#       description: Registries (host, optionally with a path) whose images may be referenced by tag.
#       items:
#         type: string
#     agents:
#       type: object
#       description: >-
#         Agents by Kubernetes username: per target namespace, what the pods they write there may
#         use (the fleet's targets[].pods).
#       additionalProperties:
#         type: object
#         properties:
#           maxReplicas:
#             type: integer
#             description: The agent's replica cap (limits.maxReplicas), which bounds the StatefulSet claims it can make.
#           namespaces:
#             type: object
#             additionalProperties:
#               type: object
#               properties:
#                 registries:
#                   type: array
#                   items:
#                     type: string
#                 serviceAccounts:
#                   type: array
#                   items:
#                     type: string
#                 secrets:
#                   type: array
#                   items:
#                     type: string
#                 persistentVolumeClaims:
#                   type: array
#                   items:
#                     type: string
#                 csiDrivers:
#                   type: array
#                   items:
#                     type: string
package agentguard.agent_pods

import data.lib.agentguard as ag
import data.lib.pods

policy_id := "AG202"

# METADATA
# description: One violation per problem, each message led by the policy ID.
# entrypoint: true
violation contains {"msg": msg, "details": {"policy": policy_id, "agent": ag.agent_name}} if {
	ag.requesting_agent
	ag.operation in {"CREATE", "UPDATE"}
	some problem in problems
	msg := sprintf("[%s] agent %s may not write %s: %s", [policy_id, ag.agent_name, ag.described, problem])
}

# What the fleet lets pods written in this namespace use; nothing outside the agent's targets.
default allowance := {}

allowance := ag.requesting_agent.namespaces[ag.request_namespace] if is_object(ag.requesting_agent.namespaces[ag.request_namespace])

allowed(field) := object.get(allowance, field, [])

# "spec.agents[release-bot].targets[shop].pods.secrets": the fleet field that would allow it.
fleet_field(field) := sprintf("spec.agents[%s].targets[%s].pods.%s", [ag.agent_name, ag.request_namespace, field])

listed_or_none(field) := concat(", ", allowed(field)) if count(allowed(field)) > 0

listed_or_none(field) := "none" if count(allowed(field)) == 0

# --- hardening (as AG701, wherever the agent writes) ---

problems contains sprintf("pod not hardened: %s", [problem]) if some problem in pods.hardening_problems

# --- images ---

problems contains sprintf("%s image %s must come from a registry in %s (allowed: %s)", [pods.container_label(list, c), ag.quote(image), fleet_field("registries"), listed_or_none("registries")]) if {
	some [list, _, c] in pods.containers
	image := object.get(c, "image", "")
	not pods.from_registry(image, allowed("registries"))
}

problems contains sprintf("%s image %s must be pinned by digest (@sha256:<64 hex>) unless its registry is in spec.imagePolicy.allowTagsFrom", [pods.container_label(list, c), ag.quote(image)]) if {
	some [list, _, c] in pods.containers
	image := object.get(c, "image", "")
	not pods.digest_pinned(image)
	not pods.from_registry(image, object.get(input.parameters, "allowTagsFrom", []))
}

# --- identity: the ServiceAccount the pod runs as ---

problems contains msg if {
	some [path, spec] in pods.pod_specs
	some field in ["serviceAccountName", "serviceAccount"]
	account := spec[field]
	account != null
	not account in {"", "default"}
	not account in allowed("serviceAccounts")
	msg := sprintf(
		"%s.%s %s is not allowed: use default or a ServiceAccount listed in %s (allowed: %s)",
		[path, field, ag.quote(account), fleet_field("serviceAccounts"), listed_or_none("serviceAccounts")],
	)
}

problems contains sprintf("%s.volumes[%s] projects a service-account token; pods an agent writes may not carry one", [path, ag.quote(object.get(volume, "name", "(unnamed)"))]) if {
	some [path, spec] in pods.pod_specs
	some volume in object.get(spec, "volumes", [])
	some source in object.get(volume, ["projected", "sources"], [])
	object.get(source, "serviceAccountToken", null) != null
}

# --- Secrets, PersistentVolumeClaims and CSI drivers the pod reaches ---

problems contains sprintf("%s uses Secret %s; only Secrets listed in %s may reach pods an agent writes (allowed: %s)", [field, ag.quote(name), fleet_field("secrets"), listed_or_none("secrets")]) if {
	some [field, name] in secret_refs
	not name in allowed("secrets")
}

problems contains msg if {
	some [path, spec] in pods.pod_specs
	some volume in object.get(spec, "volumes", [])
	volume.persistentVolumeClaim != null
	claim := object.get(volume.persistentVolumeClaim, "claimName", "")
	not claim in allowed("persistentVolumeClaims")
	msg := sprintf(
		"%s.volumes[%s] mounts PersistentVolumeClaim %s; only claims listed in %s may be mounted (allowed: %s)",
		[path, ag.quote(object.get(volume, "name", "")), ag.quote(claim), fleet_field("persistentVolumeClaims"), listed_or_none("persistentVolumeClaims")],
	)
}

# A new claim cloned from an existing one (or from a snapshot) carries that workload's data.
problems contains msg if {
	some [field, source] in claim_sources
	not cloned_from_listed_claim(source)
	msg := sprintf(
		"%s clones %s %s; a new volume may only be cloned from a PersistentVolumeClaim listed in %s (allowed: %s)",
		[field, object.get(source, "kind", "(no kind)"), ag.quote(object.get(source, "name", "")), fleet_field("persistentVolumeClaims"), listed_or_none("persistentVolumeClaims")],
	)
}

# A claim the request creates may not pick its volume: an Available PersistentVolume named or
# selected (a static NFS share, a local or hostPath PV) holds someone else's data.
problems contains sprintf("%s.%s may not be set: a new claim may not bind an existing PersistentVolume", [field, binding]) if {
	some [field, claim] in created_claims
	some binding in ["volumeName", "selector"]
	not object.get(claim, binding, null) in {null, "", {}}
}

# A StatefulSet's claims are named <template>-<statefulset>-<ordinal>; a claim of that name that
# already exists (a deleted StatefulSet's, kept by default) is taken over, data and all. Every
# ordinal up to the agent's replica cap counts, whatever spec.replicas says: the agent can scale the
# StatefulSet there later (kubectl scale, an HPA) without writing its templates again, and a count
# the agent picks must not decide how much work admission does (replicas: 2147483647).
problems contains msg if {
	sts := input.review.object
	some template in object.get(sts, ["spec", "volumeClaimTemplates"], [])
	name := object.get(template, ["metadata", "name"], "")
	claims := [claim |
		some ordinal in claim_ordinals
		claim := concat("-", [name, object.get(sts, ["metadata", "name"], ""), format_int(ordinal, 10)])
		not claim in allowed("persistentVolumeClaims")
	]
	count(claims) > 0
	msg := sprintf(
		"spec.volumeClaimTemplates[%s] makes claims %s, which would take over existing claims of those names; list them in %s (allowed: %s)",
		[ag.quote(name), concat(", ", claims), fleet_field("persistentVolumeClaims"), listed_or_none("persistentVolumeClaims")],
	)
}

# Fails closed: claims whose ordinals cannot be told are denied, not skipped.
problems contains sprintf("spec.volumeClaimTemplates may not be set: %s", [reason]) if {
	count(object.get(input.review.object, ["spec", "volumeClaimTemplates"], [])) > 0
	some reason in claim_ordinal_problems
}

# Node and device access the scheduler and quotas would otherwise decide.
problems contains sprintf("%s.nodeName may not be set: pods an agent writes are placed by the scheduler", [path]) if {
	some [path, spec] in pods.pod_specs
	not object.get(spec, "nodeName", "") in {"", null}
}

problems contains sprintf("%s.resourceClaims may not be set: a shared ResourceClaim gives the pod another workload's devices", [path]) if {
	some [path, spec] in pods.pod_specs
	count(object.get(spec, "resourceClaims", [])) > 0
}

problems contains sprintf("%s.volumes[%s] projects a pod certificate; pods an agent writes may not carry one", [path, ag.quote(object.get(volume, "name", "(unnamed)"))]) if {
	some [path, spec] in pods.pod_specs
	some volume in object.get(spec, "volumes", [])
	some source in object.get(volume, ["projected", "sources"], [])
	object.get(source, "podCertificate", null) != null
}

# A CSI driver (the Secrets Store driver, for one) can mount secrets the fleet never sees.
problems contains msg if {
	some [path, spec] in pods.pod_specs
	some volume in object.get(spec, "volumes", [])
	volume.csi != null
	driver := object.get(volume.csi, "driver", "")
	not driver in allowed("csiDrivers")
	msg := sprintf(
		"%s.volumes[%s] uses CSI driver %s; only drivers listed in %s may be used (allowed: %s)",
		[path, ag.quote(object.get(volume, "name", "")), ag.quote(driver), fleet_field("csiDrivers"), listed_or_none("csiDrivers")],
	)
}

# Every reference to a Secret in the pod: [field, Secret name]; a missing name counts as unlisted.
secret_refs contains [sprintf("%s.env[%s].valueFrom.secretKeyRef", [pods.container_label(list, c), ag.quote(object.get(env, "name", ""))]), object.get(ref, "name", "")] if {
	some [list, _, c] in pods.containers
	some env in object.get(c, "env", [])
	ref := env.valueFrom.secretKeyRef
	ref != null
}

secret_refs contains [sprintf("%s.envFrom[].secretRef", [pods.container_label(list, c)]), object.get(from.secretRef, "name", "")] if {
	some [list, _, c] in pods.containers
	some from in object.get(c, "envFrom", [])
	from.secretRef != null
}

secret_refs contains [sprintf("%s.volumes[%s].secret", [path, ag.quote(object.get(volume, "name", ""))]), object.get(volume.secret, "secretName", "")] if {
	some [path, spec] in pods.pod_specs
	some volume in object.get(spec, "volumes", [])
	volume.secret != null
}

secret_refs contains [sprintf("%s.volumes[%s].projected.sources[].secret", [path, ag.quote(object.get(volume, "name", ""))]), object.get(source.secret, "name", "")] if {
	some [path, spec] in pods.pod_specs
	some volume in object.get(spec, "volumes", [])
	some source in object.get(volume, ["projected", "sources"], [])
	source.secret != null
}

secret_refs contains [sprintf("%s.volumes[%s].csi.nodePublishSecretRef", [path, ag.quote(object.get(volume, "name", ""))]), object.get(volume.csi.nodePublishSecretRef, "name", "")] if {
	some [path, spec] in pods.pod_specs
	some volume in object.get(spec, "volumes", [])
	volume.csi.nodePublishSecretRef != null
}

secret_refs contains [sprintf("%s.imagePullSecrets[]", [path]), object.get(ref, "name", "")] if {
	some [path, spec] in pods.pod_specs
	some ref in object.get(spec, "imagePullSecrets", [])
}

# Where a claim the request creates names its source: [field, dataSource or dataSourceRef].
claim_sources contains [sprintf("%s.volumes[%s].ephemeral.volumeClaimTemplate.spec.%s", [path, ag.quote(object.get(volume, "name", "")), field]), source] if {
	some [path, spec] in pods.pod_specs
	some volume in object.get(spec, "volumes", [])
	some field in ["dataSource", "dataSourceRef"]
	source := volume.ephemeral.volumeClaimTemplate.spec[field]
	source != null
}

claim_sources contains [sprintf("spec.%s", [field]), source] if {
	ag.kind_key == "/PersistentVolumeClaim"
	some field in ["dataSource", "dataSourceRef"]
	source := input.review.object.spec[field]
	source != null
}

claim_sources contains [sprintf("spec.volumeClaimTemplates[%s].spec.%s", [ag.quote(object.get(template, ["metadata", "name"], "")), field]), source] if {
	some template in object.get(input.review.object, ["spec", "volumeClaimTemplates"], [])
	some field in ["dataSource", "dataSourceRef"]
	source := template.spec[field]
	source != null
}

cloned_from_listed_claim(source) if {
	source.kind == "PersistentVolumeClaim"
	object.get(source, "apiGroup", "") in {"", null}
	object.get(source, "namespace", ag.request_namespace) in {ag.request_namespace, null}
	object.get(source, "name", "") in allowed("persistentVolumeClaims")
}

# Every claim spec the request creates: [field path, claim spec].
created_claims contains [sprintf("%s.volumes[%s].ephemeral.volumeClaimTemplate.spec", [path, ag.quote(object.get(volume, "name", ""))]), claim] if {
	some [path, spec] in pods.pod_specs
	some volume in object.get(spec, "volumes", [])
	claim := volume.ephemeral.volumeClaimTemplate.spec
	is_object(claim)
}

created_claims contains [sprintf("spec.volumeClaimTemplates[%s].spec", [ag.quote(object.get(template, ["metadata", "name"], ""))]), template.spec] if {
	some template in object.get(input.review.object, ["spec", "volumeClaimTemplates"], [])
	is_object(template.spec)
}

created_claims contains ["spec", input.review.object.spec] if {
	ag.kind_key == "/PersistentVolumeClaim"
	is_object(input.review.object.spec)
}

# --- StatefulSet claim ordinals ---

claim_ordinals := numbers.range(ordinal_start, (ordinal_start + claim_cap) - 1) if claim_cap > 0

claim_ordinals := [] if claim_cap == 0

claim_ordinal_problems contains sprintf("spec.ordinals.start %s is not a whole number, so the claims' names cannot be told", [ag.quote(start)]) if {
	start := input.review.object.spec.ordinals.start
	not whole(start)
}

claim_ordinal_problems contains "the agent's replica cap is missing from the constraint, so the claims it could make cannot be told" if {
	claim_cap < 0
}

default ordinal_start := 0

ordinal_start := start if {
	start := input.review.object.spec.ordinals.start
	whole(start)
}

# The cap AG401 enforces (limits.maxReplicas, at most 100 in the fleet schema); -1 when unreadable.
default claim_cap := -1

claim_cap := cap if {
	cap := ag.requesting_agent.maxReplicas
	whole(cap)
	cap <= 100
}

whole(n) if {
	is_number(n)
	n >= 0
	floor(n) == n
}

# METADATA
# title: Hardened pods
# description: >-
#   Every pod in an agent namespace meets Pod Security Standards restricted and more (invariant I7),
#   whoever creates it: non-root with a non-zero uid, seccomp RuntimeDefault or Localhost, no
#   privilege escalation, all capabilities dropped and none added, not privileged, read-only root
#   filesystem, CPU and memory requests and limits, no automounted service-account token, no host
#   namespaces, ports or paths, only restricted volume types, and images pinned by sha256 digest
#   unless they come from a registry the fleet allows tags from. Pods are checked directly and
#   through the pod templates of Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and
#   CronJobs, so a bad template fails at apply time rather than when its pods cannot start.
# custom:
#   id: AG701
#   invariant: I7
#   kind: AgentGuardHardenedPods
#   parameters:
#     allowTagsFrom:
#       type: array
#       description: Registries (host, optionally with a path) whose images may be referenced by tag.
#       items:
#         type: string
package agentguard.hardened_pods

import data.lib.agentguard as ag

policy_id := "AG701"

# METADATA
# description: One violation per problem, each message led by the policy ID.
# entrypoint: true
violation contains {"msg": msg, "details": {"policy": policy_id}} if {
	ag.operation != "DELETE"
	some problem in problems
	msg := sprintf("[%s] %s is not hardened: %s", [policy_id, ag.described, problem])
}

# The pod spec a request carries, by kind; templates of workload kinds are checked like pods.
template_kinds := {"apps/Deployment", "apps/StatefulSet", "apps/DaemonSet", "apps/ReplicaSet", "batch/Job", "/ReplicationController"}

pod_spec := input.review.object.spec if ag.kind_key == "/Pod"

pod_spec := input.review.object.spec.template.spec if ag.kind_key in template_kinds

pod_spec := input.review.object.spec.jobTemplate.spec.template.spec if ag.kind_key == "batch/CronJob"

pod_security := object.get(pod_spec, "securityContext", {})

containers contains [kind, container] if {
	some kind in ["containers", "initContainers", "ephemeralContainers"]
	some container in object.get(pod_spec, kind, [])
}

container_security(container) := object.get(container, "securityContext", {})

# A container's security setting, or the pod's when the container leaves it unset.
effective(container, field) := value if {
	value := container_security(container)[field]
	value != null
}

effective(container, field) := pod_security[field] if object.get(container_security(container), field, null) == null

runs_as_non_root(container) if effective(container, "runAsNonRoot") == true

confined(container) if effective(container, "seccompProfile").type in {"RuntimeDefault", "Localhost"}

allowed_volume_types := {
	"configMap",
	"csi",
	"downwardAPI",
	"emptyDir",
	"ephemeral",
	"persistentVolumeClaim",
	"projected",
	"secret",
}

label(kind, container) := sprintf("%s %s", [trim_suffix(kind, "s"), ag.quote(object.get(container, "name", "(unnamed)"))])

# --- pod level ---

problems contains "set spec.automountServiceAccountToken: false (mount a projected token only where needed)" if {
	object.get(pod_spec, "automountServiceAccountToken", true) != false
}

problems contains sprintf("spec.%s must not be true", [field]) if {
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	object.get(pod_spec, field, false) != false
}

problems contains sprintf("volume %s uses %s; allowed volume types: %s", [ag.quote(object.get(volume, "name", "(unnamed)")), type, concat(", ", sort(allowed_volume_types))]) if {
	some volume in object.get(pod_spec, "volumes", [])
	some type, _ in volume
	type != "name"
	not type in allowed_volume_types
}

# --- per container ---

problems contains sprintf("%s must run as non-root: set securityContext.runAsNonRoot: true on the pod or the container", [label(kind, c)]) if {
	some [kind, c] in containers
	not runs_as_non_root(c)
}

problems contains sprintf("%s must not run as uid 0: set securityContext.runAsUser to a non-zero uid", [label(kind, c)]) if {
	some [kind, c] in containers
	effective(c, "runAsUser") == 0
}

problems contains sprintf("%s needs a seccomp profile: set securityContext.seccompProfile.type: RuntimeDefault", [label(kind, c)]) if {
	some [kind, c] in containers
	not confined(c)
}

problems contains sprintf("%s must set securityContext.allowPrivilegeEscalation: false", [label(kind, c)]) if {
	some [kind, c] in containers
	object.get(container_security(c), "allowPrivilegeEscalation", true) != false
}

problems contains sprintf("%s must not be privileged", [label(kind, c)]) if {
	some [kind, c] in containers
	object.get(container_security(c), "privileged", false) != false
}

problems contains sprintf("%s must drop all capabilities: set securityContext.capabilities.drop: [ALL]", [label(kind, c)]) if {
	some [kind, c] in containers
	not "ALL" in object.get(container_security(c), ["capabilities", "drop"], [])
}

problems contains sprintf("%s must not add capabilities (adds %s)", [label(kind, c), ag.quote(added)]) if {
	some [kind, c] in containers
	added := object.get(container_security(c), ["capabilities", "add"], [])
	count(added) > 0
}

problems contains sprintf("%s must set securityContext.readOnlyRootFilesystem: true (mount an emptyDir for scratch space)", [label(kind, c)]) if {
	some [kind, c] in containers
	object.get(container_security(c), "readOnlyRootFilesystem", false) != true
}

# Ephemeral containers cannot declare resources; they are held to everything else.
problems contains sprintf("%s must set resources.%s.%s", [label(kind, c), bound, resource]) if {
	some [kind, c] in containers
	kind != "ephemeralContainers"
	some bound in ["requests", "limits"]
	some resource in ["cpu", "memory"]
	object.get(c, ["resources", bound, resource], null) == null
}

problems contains sprintf("%s must not use hostPort %s", [label(kind, c), ag.quote(port.hostPort)]) if {
	some [kind, c] in containers
	some port in object.get(c, "ports", [])
	object.get(port, "hostPort", 0) != 0
}

problems contains sprintf("%s image %s must be pinned by digest (@sha256:<64 hex>) or come from a registry in spec.imagePolicy.allowTagsFrom", [label(kind, c), ag.quote(image)]) if {
	some [kind, c] in containers
	image := object.get(c, "image", "")
	not image_allowed(image)
}

image_allowed(image) if regex.match(`@sha256:[a-f0-9]{64}$`, image)

# A registry prefix matches only at a path boundary: registry.example.com must not admit
# registry.example.com.evil.net/x.
image_allowed(image) if {
	some registry in object.get(input.parameters, "allowTagsFrom", [])
	startswith(image, concat("", [registry, "/"]))
}

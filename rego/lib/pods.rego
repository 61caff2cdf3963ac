# METADATA
# title: agentguard pod library
# description: >-
#   Where a request carries pods and what makes a pod hardened: Pod Security Standards restricted
#   plus agentguard's extras (invariant I7). Shared by the policy for agent namespaces (AG701) and
#   the policy for every pod an agent writes anywhere (AG202), so both hold pods to one standard.
package lib.pods

import data.lib.agentguard as ag

# Every pod spec the request writes, each with the field path that leads to it (messages name it).
# Templates are found by shape, not by a list of kinds: a Deployment, a Job, a CronJob's job
# template, a PodTemplate or a custom workload (an Argo Rollout, a Knative Service) all run pods
# from it. A Pod carries its spec directly; pods/ephemeralcontainers sends the whole Pod too.
pod_specs contains ["spec", spec] if {
	ag.kind_key == "/Pod"
	spec := input.review.object.spec
	is_object(spec)
}

pod_specs contains ["spec.template.spec", spec] if {
	spec := input.review.object.spec.template.spec
	is_pod_spec(spec)
}

pod_specs contains ["spec.jobTemplate.spec.template.spec", spec] if {
	spec := input.review.object.spec.jobTemplate.spec.template.spec
	is_pod_spec(spec)
}

pod_specs contains ["template.spec", spec] if {
	spec := input.review.object.template.spec
	is_pod_spec(spec)
}

is_pod_spec(spec) if is_array(spec.containers)

# The annotations beside each pod spec ("spec.template.spec" → spec.template.metadata.annotations),
# as [path of the annotations, key, value].
pod_annotations contains [sprintf("%s.annotations", [concat(".", meta)]), key, value] if {
	some [path, _] in pod_specs
	parts := split(path, ".")
	meta := array.concat(array.slice(parts, 0, count(parts) - 1), ["metadata"])
	some key, value in object.get(input.review.object, array.concat(meta, ["annotations"]), {})
}

# Every container of every pod spec: [path of its list, its pod spec, the container], e.g.
# ["spec.template.spec.initContainers", {...}, {...}].
containers contains [sprintf("%s.%s", [path, list]), spec, container] if {
	some [path, spec] in pod_specs
	some list in ["containers", "initContainers", "ephemeralContainers"]
	some container in object.get(spec, list, [])
}

# `spec.template.spec.containers["app"]`: what a message names so the author finds the field.
container_label(list_path, container) := sprintf("%s[%s]", [list_path, ag.quote(object.get(container, "name", "(unnamed)"))])

container_security(container) := object.get(container, "securityContext", {})

# A container's security setting, or its pod's when the container leaves it unset.
effective(_, container, field) := value if {
	value := container_security(container)[field]
	value != null
}

effective(spec, container, field) := object.get(spec, ["securityContext", field], null) if {
	object.get(container_security(container), field, null) == null
}

# An object-valued setting (seccompProfile, seLinuxOptions, ...), or {} when neither sets one.
effective_object(spec, container, field) := value if {
	value := effective(spec, container, field)
	is_object(value)
} else := {}

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

# Pod Security Standards' safe sysctls (baseline and restricted allow only these).
safe_sysctls := {
	"kernel.shm_rmid_forced",
	"net.ipv4.ip_local_port_range",
	"net.ipv4.ip_local_reserved_ports",
	"net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.ping_group_range",
	"net.ipv4.tcp_fin_timeout",
	"net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes",
	"net.ipv4.tcp_keepalive_time",
	"net.ipv4.tcp_syncookies",
}

allowed_selinux_types := {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}

# --- what makes a pod unhardened: one message per problem, naming the field ---------------------

hardening_problems contains sprintf("set %s.automountServiceAccountToken: false (mount a projected token only where needed)", [path]) if {
	some [path, spec] in pod_specs
	object.get(spec, "automountServiceAccountToken", true) != false
}

hardening_problems contains sprintf("%s.%s must not be true", [path, field]) if {
	some [path, spec] in pod_specs
	some field in ["hostNetwork", "hostPID", "hostIPC", "shareProcessNamespace"]
	object.get(spec, field, false) != false
}

hardening_problems contains sprintf("%s.volumes[%s] uses %s; allowed volume types: %s", [path, ag.quote(object.get(volume, "name", "(unnamed)")), type, concat(", ", sort(allowed_volume_types))]) if {
	some [path, spec] in pod_specs
	some volume in object.get(spec, "volumes", [])
	some type, _ in volume
	type != "name"
	not type in allowed_volume_types
}

hardening_problems contains sprintf("%s.securityContext.sysctls sets %s; only the Pod Security Standards safe sysctls are allowed", [path, ag.quote(object.get(sysctl, "name", ""))]) if {
	some [path, spec] in pod_specs
	some sysctl in object.get(spec, ["securityContext", "sysctls"], [])
	not object.get(sysctl, "name", "") in safe_sysctls
}

hardening_problems contains sprintf("%s.securityContext.windowsOptions.hostProcess must not be true", [path]) if {
	some [path, spec] in pod_specs
	object.get(spec, ["securityContext", "windowsOptions", "hostProcess"], false) != false
}

hardening_problems contains sprintf("%s must run as non-root: set securityContext.runAsNonRoot: true on the pod or the container", [container_label(list, c)]) if {
	some [list, spec, c] in containers
	effective(spec, c, "runAsNonRoot") != true
}

hardening_problems contains sprintf("%s must not run as uid 0: set securityContext.runAsUser to a non-zero uid", [container_label(list, c)]) if {
	some [list, spec, c] in containers
	effective(spec, c, "runAsUser") == 0
}

hardening_problems contains sprintf("%s needs a seccomp profile: set securityContext.seccompProfile.type: RuntimeDefault", [container_label(list, c)]) if {
	some [list, spec, c] in containers
	not object.get(effective_object(spec, c, "seccompProfile"), "type", "") in {"RuntimeDefault", "Localhost"}
}

hardening_problems contains sprintf("%s must not run unconfined: securityContext.appArmorProfile.type Unconfined is not allowed", [container_label(list, c)]) if {
	some [list, spec, c] in containers
	effective_object(spec, c, "appArmorProfile").type == "Unconfined"
}

hardening_problems contains msg if {
	some [list, spec, c] in containers
	not selinux_allowed(effective_object(spec, c, "seLinuxOptions"))
	msg := sprintf(
		"%s sets a forbidden SELinux option: only seLinuxOptions.type %s, and no user or role",
		[container_label(list, c), concat(", ", sort([t | some t in allowed_selinux_types; t != ""]))],
	)
}

# The AppArmor annotation Kubernetes still honours: only runtime/default or a localhost/ profile.
hardening_problems contains sprintf("%s[%s] is %s; AppArmor must be runtime/default or localhost/<profile>", [path, ag.quote(key), ag.quote(value)]) if {
	some [path, key, value] in pod_annotations
	startswith(key, "container.apparmor.security.beta.kubernetes.io/")
	value != "runtime/default"
	not startswith(value, "localhost/")
}

# A probe or lifecycle hook with a host is sent by the kubelet from the node's network: to the
# node's own ports, the cloud metadata service, or peers the pod's NetworkPolicy would block.
hardening_problems contains sprintf("%s.%s.%s.host must not be set: the kubelet would send it from the node's network", [container_label(list, c), concat(".", handler), action]) if {
	some [list, _, c] in containers
	some handler in [["livenessProbe"], ["readinessProbe"], ["startupProbe"], ["lifecycle", "postStart"], ["lifecycle", "preStop"]]
	some action in ["httpGet", "tcpSocket"]
	not object.get(c, array.concat(handler, [action, "host"]), "") in {"", null}
}

# Pod-level settings count on their own (Pod Security Standards check them even when every container
# overrides them): they also apply to the pod sandbox and to volume labels.
hardening_problems contains sprintf("%s.securityContext.%s %s is not allowed: %s", [path, field, ag.quote(value), fix]) if {
	some [path, spec] in pod_specs
	some [field, value, fix] in pod_level_problems(object.get(spec, "securityContext", {}))
}

hardening_problems contains sprintf("%s must set securityContext.allowPrivilegeEscalation: false", [container_label(list, c)]) if {
	some [list, _, c] in containers
	object.get(container_security(c), "allowPrivilegeEscalation", true) != false
}

hardening_problems contains sprintf("%s must not be privileged", [container_label(list, c)]) if {
	some [list, _, c] in containers
	object.get(container_security(c), "privileged", false) != false
}

hardening_problems contains sprintf("%s must not set securityContext.procMount (only the default is allowed)", [container_label(list, c)]) if {
	some [list, _, c] in containers
	not object.get(container_security(c), "procMount", "Default") in {"Default", null}
}

hardening_problems contains sprintf("%s must not set securityContext.windowsOptions.hostProcess", [container_label(list, c)]) if {
	some [list, _, c] in containers
	object.get(container_security(c), ["windowsOptions", "hostProcess"], false) != false
}

hardening_problems contains sprintf("%s must drop all capabilities: set securityContext.capabilities.drop: [ALL]", [container_label(list, c)]) if {
	some [list, _, c] in containers
	not "ALL" in object.get(container_security(c), ["capabilities", "drop"], [])
}

hardening_problems contains sprintf("%s must not add capabilities (adds %s)", [container_label(list, c), ag.quote(added)]) if {
	some [list, _, c] in containers
	added := object.get(container_security(c), ["capabilities", "add"], [])
	count(added) > 0
}

hardening_problems contains sprintf("%s must set securityContext.readOnlyRootFilesystem: true (mount an emptyDir for scratch space)", [container_label(list, c)]) if {
	some [list, _, c] in containers
	object.get(container_security(c), "readOnlyRootFilesystem", false) != true
}

# Ephemeral containers cannot declare resources; they are held to everything else.
hardening_problems contains sprintf("%s must set resources.%s.%s", [container_label(list, c), bound, resource]) if {
	some [list, _, c] in containers
	not endswith(list, ".ephemeralContainers")
	some bound in ["requests", "limits"]
	some resource in ["cpu", "memory"]
	object.get(c, ["resources", bound, resource], null) == null
}

hardening_problems contains sprintf("%s must not use hostPort %s", [container_label(list, c), ag.quote(port.hostPort)]) if {
	some [list, _, c] in containers
	some port in object.get(c, "ports", [])
	object.get(port, "hostPort", 0) != 0
}

pod_level_problems(context) := {[field, value, fix] |
	some [field, fix] in [
		["runAsNonRoot", "leave it unset or true"],
		["runAsUser", "use a non-zero uid"],
		["seccompProfile", "use type RuntimeDefault or Localhost"],
		["appArmorProfile", "use type RuntimeDefault or Localhost"],
		["seLinuxOptions", "no user or role, and only a container type"],
	]
	value := object.get(context, field, null)
	value != null
	not pod_level_allowed(field, value)
}

pod_level_allowed("runAsNonRoot", true)

pod_level_allowed("runAsUser", value) if value != 0

pod_level_allowed("seccompProfile", value) if object.get(value, "type", "") in {"RuntimeDefault", "Localhost"}

pod_level_allowed("appArmorProfile", value) if object.get(value, "type", "") in {"RuntimeDefault", "Localhost"}

pod_level_allowed("seLinuxOptions", value) if selinux_allowed(value)

selinux_allowed(options) if {
	object.get(options, "type", "") in allowed_selinux_types
	object.get(options, "user", "") == ""
	object.get(options, "role", "") == ""
}

# --- images -------------------------------------------------------------------------------------

digest_pinned(image) if regex.match(`@sha256:[a-f0-9]{64}$`, image)

# A registry prefix matches only at a path boundary: registry.example.com must not admit
# registry.example.com.evil.net/x.
from_registry(image, registries) if {
	some registry in registries
	startswith(image, concat("", [registry, "/"]))
}

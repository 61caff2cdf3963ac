# METADATA
# title: Hardened pods
# description: >-
#   Every pod in an agent namespace meets Pod Security Standards restricted and more (invariant I7),
#   whoever creates it: non-root with a non-zero uid, seccomp RuntimeDefault or Localhost, no
#   privilege escalation, all capabilities dropped and none added, not privileged, read-only root
#   filesystem, CPU and memory requests and limits, no automounted service-account token, no host
#   namespaces, ports or paths, no shared process namespace, unsafe sysctls, procMount, AppArmor
#   Unconfined or custom SELinux user/role, only restricted volume types, and images pinned by sha256 digest
#   unless they come from a registry the fleet allows tags from. Pods are checked directly and
#   through the pod templates of Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and
#   CronJobs, so a bad template fails at apply time rather than when its pods cannot start. The
#   rules live in the shared pod library, which AG202 applies to every pod an agent writes.
# custom:
#   id: AG701
#   invariant: I7
#   kind: AgentGuardHardenedPods
#   exemptible: false
#   parameters:
#     allowTagsFrom:
#       type: array
#       description: Registries (host, optionally with a path) whose images may be referenced by tag.
#       items:
#         type: string
package agentguard.hardened_pods

import data.lib.agentguard as ag
import data.lib.pods

policy_id := "AG701"

# METADATA
# description: One violation per problem, each message led by the policy ID.
# entrypoint: true
violation contains {"msg": msg, "details": {"policy": policy_id}} if {
	ag.operation != "DELETE"
	some problem in problems
	msg := sprintf("[%s] %s is not hardened: %s", [policy_id, ag.described, problem])
}

problems contains problem if some problem in pods.hardening_problems

problems contains sprintf("%s image %s must be pinned by digest (@sha256:<64 hex>) or come from a registry in spec.imagePolicy.allowTagsFrom", [pods.container_label(list, c), ag.quote(image)]) if {
	some [list, _, c] in pods.containers
	image := object.get(c, "image", "")
	not pods.digest_pinned(image)
	not pods.from_registry(image, object.get(input.parameters, "allowTagsFrom", []))
}

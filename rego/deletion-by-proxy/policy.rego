# METADATA
# title: No deletes by proxy
# description: >-
#   An agent may not make Kubernetes delete objects for it (invariant I1, beside AG101, which denies
#   its DELETE requests). Unless the fleet lets the agent delete the kind that would be deleted, in
#   that namespace (`deleteKinds` of an autonomous agent), its CREATE and UPDATE requests are denied
#   when they: set `metadata.ownerReferences` on a new object or change them in any way on an update
#   (the garbage collector deletes an object whose owner is gone or never existed, and a controller
#   that adopts an object deletes its surplus); set `blockOwnerDeletion` in an owner reference (it holds
#   up deletion of the owner, someone else's object: no fleet setting allows it); remove finalizers
#   from an object whose deletion is pending (`deletionTimestamp` set: that completes the deletion);
#   add finalizers to an existing object (blocking deletion of others' objects is a denial of
#   service); lower a retention limit below what the object had: `spec.ttlSecondsAfterFinished`
#   (Jobs; unset means never, 0 deletes at once), `spec.jobTemplate.spec.ttlSecondsAfterFinished`,
#   `spec.successfulJobsHistoryLimit` and `spec.failedJobsHistoryLimit` (CronJobs, defaults 3 and 1),
#   `spec.revisionHistoryLimit` (Deployments delete old ReplicaSets, StatefulSets and DaemonSets old
#   ControllerRevisions: the rollback a human needs to undo the agent's change; default 10); set
#   `spec.persistentVolumeClaimRetentionPolicy` to anything but Retain (PVCs and their data are
#   deleted with the StatefulSet or on scale-down; also on CREATE, because a new StatefulSet takes
#   over existing claims by name); or create `pods/eviction` (an Eviction deletes the pod). The rule
#   reads fields, never kind strings from the body, on every kind (custom resources included) and
#   every subresource; admission sees the whole new object, so merge patch, strategic merge patch,
#   JSON patch and apply are alike. Retention limits on CREATE are allowed: a new object has no
#   history, and a Job created with ttlSecondsAfterFinished 0 deletes only itself. A controller
#   replacing pods during a rollout, scale-down (I4) or suspend is its ordinary work, not covered here;
#   neither are label changes that make a controller adopt orphans (no cluster state at admission).
# custom:
#   id: AG102
#   invariant: I1
#   kind: AgentGuardDeletionByProxy
#   parameters:
#     agents:
#       type: object
#       description: >-
#         Agents by Kubernetes username. `deletable` maps a namespace to the resources the agent may
#         delete there, spelled resource.group (for example jobs.batch): the same map as AG101.
#       additionalProperties:
#         type: object
#         properties:
#           deletable:
#             type: object
#             additionalProperties:
#               type: array
#               items:
#                 type: string
package agentguard.deletion_by_proxy

import data.lib.agentguard as ag

policy_id := "AG102"

# METADATA
# description: One violation per problem, each message led by the policy ID.
# entrypoint: true
violation contains {"msg": msg, "details": {"policy": policy_id, "agent": ag.agent_name}} if {
	some finding in findings
	not deletable(finding.deletes)
	msg := sprintf(
		"[%s] agent %s may not %s (%s): that would make Kubernetes %s on the agent's behalf (%s); %s",
		[policy_id, ag.agent_name, finding.change, ag.described, effect(finding), finding.what, allowance(finding.deletes)],
	)
}

default effect(_) := "delete objects"

effect(finding) := "hold up the deletion of objects" if finding.blocks

# Only an agent's writes; DELETE itself is AG101's.
writes if {
	ag.agent
	ag.operation in {"CREATE", "UPDATE"}
	is_object(input.review.object)
}

new := input.review.object

# On CREATE there is no old object: everything the new one sets counts as added.
default old := {}

old := input.review.oldObject if {
	ag.operation == "UPDATE"
	is_object(input.review.oldObject)
}

# The resource whose deletion a finding causes, as deleteKinds grants it ("" when no grant can cover it).
deletable(resource) if resource in ag.agent.deletable[ag.request_namespace]

allowance("") := "no fleet setting allows this for agents"

allowance(resource) := sprintf(
	"allowed only when the fleet's deleteKinds let this autonomous agent delete %s in namespace %s",
	[resource, ag.request_namespace],
) if {
	resource != ""
	ag.request_namespace != ""
}

allowance(resource) := sprintf(
	"deleteKinds never covers %s, which is cluster-scoped",
	[resource],
) if {
	resource != ""
	ag.request_namespace == ""
}

# --- owner references -----------------------------------------------------------------------------

# As a set: reordering the list changes nothing; null, missing and [] are all "no owners".
owner_refs(obj) := {ref | some ref in obj.metadata.ownerReferences} if has_owner_list(obj)

# A helper, not `not is_array(obj.metadata.ownerReferences)`: OPA hoists the reference out of the
# negation, so a missing field would make the negation undefined instead of true.
owner_refs(obj) := set() if not has_owner_list(obj)

has_owner_list(obj) if is_array(obj.metadata.ownerReferences)

owner_change := {"CREATE": "set metadata.ownerReferences", "UPDATE": "change metadata.ownerReferences"}

# --- finalizers -----------------------------------------------------------------------------------

finalizers(obj) := {f | some f in obj.metadata.finalizers} if has_finalizer_list(obj)

finalizers(obj) := set() if not has_finalizer_list(obj)

has_finalizer_list(obj) if is_array(obj.metadata.finalizers)

# deletionTimestamp is set by the API server when a deletion is pending; either side counts.
terminating if {
	some obj in ag.objects
	obj.metadata.deletionTimestamp != null
}

listed(values) := concat(", ", sort([ag.quote(v) | some v in values]))

# --- retention limits -----------------------------------------------------------------------------

# What an unset limit means when the kind has no default: nothing is ever deleted.
unbounded := {"agentguard.dev/limit": "unbounded"}

retention_fields := {
	"spec.ttlSecondsAfterFinished",
	"spec.jobTemplate.spec.ttlSecondsAfterFinished",
	"spec.successfulJobsHistoryLimit",
	"spec.failedJobsHistoryLimit",
	"spec.revisionHistoryLimit",
}

field(obj, "spec.ttlSecondsAfterFinished") := obj.spec.ttlSecondsAfterFinished

field(obj, "spec.jobTemplate.spec.ttlSecondsAfterFinished") := obj.spec.jobTemplate.spec.ttlSecondsAfterFinished

field(obj, "spec.successfulJobsHistoryLimit") := obj.spec.successfulJobsHistoryLimit

field(obj, "spec.failedJobsHistoryLimit") := obj.spec.failedJobsHistoryLimit

field(obj, "spec.revisionHistoryLimit") := obj.spec.revisionHistoryLimit

field(obj, "spec.persistentVolumeClaimRetentionPolicy.whenDeleted") := obj.spec.persistentVolumeClaimRetentionPolicy.whenDeleted

field(obj, "spec.persistentVolumeClaimRetentionPolicy.whenScaled") := obj.spec.persistentVolumeClaimRetentionPolicy.whenScaled

has_field(obj, name) if field(obj, name) != null

# The API server's defaults, by the kind it routed the request as (never the body's own kind).
default kind_default(_) := {"agentguard.dev/limit": "unbounded"}

kind_default("spec.successfulJobsHistoryLimit") := 3 if ag.kind_key == "batch/CronJob"

kind_default("spec.failedJobsHistoryLimit") := 1 if ag.kind_key == "batch/CronJob"

kind_default("spec.revisionHistoryLimit") := 10 if ag.kind_key in {"apps/Deployment", "apps/StatefulSet", "apps/DaemonSet"}

limit(obj, name) := field(obj, name) if has_field(obj, name)

limit(obj, name) := kind_default(name) if not has_field(obj, name)

lowered(before, after) if {
	is_number(after)
	is_number(before)
	after < before
}

lowered(before, after) if {
	is_number(after)
	before == unbounded
}

# Anything else a controller might read as a limit (a string in a custom resource) fails closed.
lowered(before, after) if {
	not is_number(after)
	after != unbounded
	after != before
}

shown(value) := "unset" if value == unbounded

shown(value) := ag.quote(value) if value != unbounded

# What lowering each limit deletes, and which resource deleteKinds must name to allow it.
retention_deletes("spec.ttlSecondsAfterFinished") := ["a finished Job is deleted after that many seconds, at once for 0", ag.resource_key]

retention_deletes("spec.jobTemplate.spec.ttlSecondsAfterFinished") := ["the Jobs it starts are deleted that many seconds after they finish", "jobs.batch"]

retention_deletes("spec.successfulJobsHistoryLimit") := ["finished Jobs beyond the limit are deleted", "jobs.batch"]

retention_deletes("spec.failedJobsHistoryLimit") := ["failed Jobs beyond the limit are deleted", "jobs.batch"]

retention_deletes("spec.revisionHistoryLimit") := ["old ReplicaSets beyond the limit, the rollback history, are deleted", "replicasets.apps"] if {
	ag.kind_key == "apps/Deployment"
}

retention_deletes("spec.revisionHistoryLimit") := ["old revisions beyond the limit, the rollback history, are deleted", ""] if {
	ag.kind_key != "apps/Deployment"
}

pvc_policy_fields := {
	"spec.persistentVolumeClaimRetentionPolicy.whenDeleted",
	"spec.persistentVolumeClaimRetentionPolicy.whenScaled",
}

pvc_policy(obj, name) := field(obj, name) if has_field(obj, name)

pvc_policy(obj, name) := "Retain" if not has_field(obj, name)

# --- findings: each is one way to make Kubernetes delete (or keep) objects for the agent ---------

findings contains {
	"change": change,
	"what": "the garbage collector deletes an object once an owner is gone, at once when it never existed, and a controller that adopts it deletes its surplus",
	"deletes": ag.resource_key,
} if {
	writes
	owner_refs(new) != owner_refs(old)
	change := owner_change[ag.operation]
}

findings contains {
	"change": "set blockOwnerDeletion in metadata.ownerReferences",
	"what": "the owner, someone else's object, cannot finish a foreground deletion while this one exists",
	"deletes": "",
	"blocks": true,
} if {
	writes
	some ref in owner_refs(new)
	not ref in owner_refs(old)
	ref.blockOwnerDeletion == true
}

findings contains {
	"change": sprintf("remove finalizers %s from metadata.finalizers", [listed(removed)]),
	"what": "its deletion is pending, deletionTimestamp is set, and only its finalizers keep it",
	"deletes": ag.resource_key,
} if {
	writes
	terminating
	removed := finalizers(old) - finalizers(new)
	count(removed) > 0
}

findings contains {
	"change": sprintf("add finalizers %s to metadata.finalizers", [listed(added)]),
	"what": "a finalizer nobody removes keeps someone else's object, and its namespace, from ever being deleted; orphan and foregroundDeletion change what a deletion deletes",
	"deletes": ag.resource_key,
	"blocks": true,
} if {
	writes
	ag.operation == "UPDATE"
	added := finalizers(new) - finalizers(old)
	count(added) > 0
}

findings contains {
	"change": sprintf("lower %s (from %s to %s)", [name, shown(before), shown(after)]),
	"what": what,
	"deletes": resource,
} if {
	writes
	ag.operation == "UPDATE"
	some name in retention_fields
	before := limit(old, name)
	after := limit(new, name)
	lowered(before, after)
	[what, resource] := retention_deletes(name)
}

findings contains {
	"change": sprintf("set %s to %s", [name, ag.quote(after)]),
	"what": "PersistentVolumeClaims and their data go when the StatefulSet is deleted or scaled down, and a new StatefulSet takes over existing claims by name",
	"deletes": "persistentvolumeclaims",
} if {
	writes
	some name in pvc_policy_fields
	after := pvc_policy(new, name)
	after != "Retain"
	after != pvc_policy(old, name)
}

findings contains {
	"change": "create an Eviction (pods/eviction)",
	"what": "an Eviction deletes the pod",
	"deletes": "pods",
} if {
	writes
	ag.resource_key == "pods/eviction"
}

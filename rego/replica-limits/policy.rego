# METADATA
# title: Replica caps
# description: >-
#   An agent may not set replicas above its cap (invariant I4): spec.replicas of any object it
#   creates or updates (Deployments, StatefulSets, ReplicaSets, ReplicationControllers, custom
#   workloads, and the autoscaling/v1 Scale that `kubectl scale` sends to the scale subresource),
#   and spec.maxReplicas of a HorizontalPodAutoscaler in any autoscaling version. Built-in workloads
#   without spec.replicas count as 1, the API server's default. A Job's spec.parallelism (and a
#   CronJob's jobTemplate) is capped the same way: it is how many pods run at once (default 1).
#   Lowering a count is always allowed, to zero as well (the kill switch's own action), even when the old count was above the cap.
#   A count that is not a whole number is denied rather than guessed.
# custom:
#   id: AG401
#   invariant: I4
#   kind: AgentGuardReplicaLimits
#   parameters:
#     agents:
#       type: object
#       description: Agents by Kubernetes username, with the highest replica count each may set.
#       additionalProperties:
#         type: object
#         properties:
#           maxReplicas:
#             type: integer
package agentguard.replica_limits

import data.lib.agentguard as ag

policy_id := "AG401"

# METADATA
# description: One violation per problem, each message led by the policy ID.
# entrypoint: true
violation contains {"msg": msg, "details": {"policy": policy_id, "agent": ag.agent_name}} if {
	ag.agent
	ag.operation in {"CREATE", "UPDATE"}
	some [field, value] in requested
	not whole_number(value)
	msg := sprintf("[%s] agent %s may not set %s of %s to %s: it must be a whole number, zero or more", [policy_id, ag.agent_name, field, ag.described, ag.quote(value)])
}

violation contains {"msg": msg, "details": {"policy": policy_id, "agent": ag.agent_name}} if {
	ag.agent
	ag.operation in {"CREATE", "UPDATE"}
	some [field, value] in requested
	whole_number(value)
	value > cap
	not lowered(field, value)
	msg := sprintf(
		"[%s] agent %s may not set %s of %s to %s: its cap is %s (limits.maxReplicas in the fleet); scaling down is always allowed",
		# format_int: Go renders a large float as 1e+06 where JavaScript writes 1000000.
		[policy_id, ag.agent_name, field, ag.described, format_int(value, 10), format_int(cap, 10)],
	)
}

# A missing or malformed cap fails closed: the agent may scale nothing up.
default cap := 0

cap := ag.agent.maxReplicas if whole_number(ag.agent.maxReplicas)

# [field, value] pairs the request sets.
requested contains ["spec.replicas", ag.replicas(input.review.object)]

requested contains ["spec.maxReplicas", input.review.object.spec.maxReplicas] if hpa

# A Job's parallelism is how many pods run at once: a replica count by another name (default 1).
requested contains [field, parallelism(spec)] if some [field, spec] in job_specs(input.review.object)

job_specs(obj) := [["spec.parallelism", obj.spec]] if job

job_specs(obj) := [["spec.jobTemplate.spec.parallelism", obj.spec.jobTemplate.spec]] if cronjob

job if {
	input.review.kind.kind == "Job"
	ag.kind_group == "batch"
	ag.sub_resource == ""
}

cronjob if {
	input.review.kind.kind == "CronJob"
	ag.kind_group == "batch"
	ag.sub_resource == ""
}

parallelism(spec) := spec.parallelism if spec.parallelism != null

parallelism(spec) := 1 if not has_parallelism(spec)

has_parallelism(spec) if spec.parallelism != null

hpa if {
	input.review.kind.kind == "HorizontalPodAutoscaler"
	ag.kind_group == "autoscaling"
}

old_value("spec.replicas") := ag.replicas(input.review.oldObject)

old_value("spec.maxReplicas") := input.review.oldObject.spec.maxReplicas if hpa

old_value(field) := parallelism(spec) if {
	some [name, spec] in job_specs(input.review.oldObject)
	name == field
}

lowered(field, value) if {
	ag.operation == "UPDATE"
	old := old_value(field)
	whole_number(old)
	value <= old
}

whole_number(value) if {
	is_number(value)
	value == floor(value)
	value >= 0
}

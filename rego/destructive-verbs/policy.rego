# METADATA
# title: No destructive verbs
# description: >-
#   DELETE by an agent identity is denied unless the fleet allows that kind, in that namespace, for
#   that autonomous agent (invariant I1). `kubectl delete --all` (deletecollection) reaches admission
#   as one DELETE per object, so it is covered too. Gatekeeper sees DELETE only when its webhook is
#   configured for it (Helm `enableDeleteOperations`); RBAC is the first line and never grants delete
#   beyond the same allowlist.
# custom:
#   id: AG101
#   invariant: I1
#   kind: AgentGuardDestructiveVerbs
#   parameters:
#     agents:
#       type: object
#       description: >-
#         Agents by Kubernetes username. `deletable` maps a namespace to the resources the agent may
#         delete there, spelled resource.group (for example jobs.batch).
#       additionalProperties:
#         type: object
#         properties:
#           deletable:
#             type: object
#             additionalProperties:
#               type: array
#               items:
#                 type: string
package agentguard.destructive_verbs

import data.lib.agentguard as ag

policy_id := "AG101"

# METADATA
# description: One violation per problem, each message led by the policy ID.
# entrypoint: true
violation contains {"msg": msg, "details": {"policy": policy_id, "agent": ag.agent_name}} if {
	ag.agent
	ag.operation == "DELETE"
	not deletable
	msg := sprintf(
		"[%s] agent %s may not delete %s: DELETE is denied for agents unless the fleet lists this kind under deleteKinds of an autonomous agent for this namespace",
		[policy_id, ag.agent_name, ag.described],
	)
}

deletable if ag.resource_key in ag.agent.deletable[ag.request_namespace]

# METADATA
# title: Kill switch
# description: >-
#   Every request by an agent whose kill switch is engaged is denied, whatever it is (invariant I6).
#   This is the first and fastest layer of the switch: it acts cluster-wide as soon as the constraint
#   is applied, before the network cut, the scale-down and the removal of RBAC bindings.
# custom:
#   id: AG601
#   invariant: I6
#   kind: AgentGuardKillSwitch
#   exemptible: false
#   parameters:
#     agents:
#       type: object
#       description: Agents whose kill switch is engaged, by Kubernetes username, with who engaged it and why.
#       additionalProperties:
#         type: object
#         properties:
#           engagedBy:
#             type: string
#           reason:
#             type: string
package agentguard.kill_switch

import data.lib.agentguard as ag

policy_id := "AG601"

# METADATA
# description: One violation per problem, each message led by the policy ID.
# entrypoint: true
violation contains {"msg": msg, "details": {"policy": policy_id, "agent": ag.agent_name}} if {
	ag.requesting_agent
	msg := sprintf(
		"[%s] agent %s is stopped: its kill switch was engaged by %s (%s); every request is denied until the fleet releases it",
		[policy_id, ag.agent_name, engaged_by, reason],
	)
}

default engaged_by := "an operator"

engaged_by := ag.requesting_agent.engagedBy if is_string(ag.requesting_agent.engagedBy)

default reason := "no reason recorded"

reason := ag.requesting_agent.reason if is_string(ag.requesting_agent.reason)

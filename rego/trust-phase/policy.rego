# METADATA
# title: Trust phase
# description: >-
#   What an agent may change follows its trust phase (invariant I5). shadow: no mutation at all.
#   advisory: only server-side dry-run requests (dryRun true) within its allowlist; a human applies
#   the change. supervised and autonomous: only the resources the fleet allowlists for each target
#   namespace, with create and delete only where granted. Anything outside the allowlist is denied,
#   cluster-scoped objects included, and an unknown phase denies everything.
# custom:
#   id: AG501
#   invariant: I5
#   kind: AgentGuardTrustPhase
#   parameters:
#     agents:
#       type: object
#       description: >-
#         Agents by Kubernetes username: the phase, and per target namespace the resources
#         (resource.group, with /scale for the scale subresource) each verb may touch.
#       additionalProperties:
#         type: object
#         properties:
#           phase:
#             type: string
#             enum: [shadow, advisory, supervised, autonomous]
#           namespaces:
#             type: object
#             additionalProperties:
#               type: object
#               properties:
#                 create:
#                   type: array
#                   items:
#                     type: string
#                 update:
#                   type: array
#                   items:
#                     type: string
#                 delete:
#                   type: array
#                   items:
#                     type: string
package agentguard.trust_phase

import data.lib.agentguard as ag

policy_id := "AG501"

# METADATA
# description: One violation per problem, each message led by the policy ID.
# entrypoint: true
violation contains {"msg": msg, "details": {"policy": policy_id, "agent": ag.agent_name, "phase": phase}} if {
	ag.agent
	ag.is_mutation
	some problem in problems
	msg := sprintf("[%s] agent %s (phase %s) may not %s %s: %s", [policy_id, ag.agent_name, phase, verb, ag.described, problem])
}

default phase := "unknown"

phase := ag.agent.phase if is_string(ag.agent.phase)

verbs := {"CREATE": "create", "UPDATE": "update", "DELETE": "delete"}

verb := verbs[ag.operation]

problems contains "shadow agents only read; promote the agent to advisory to propose changes as dry-runs" if {
	phase == "shadow"
}

problems contains "advisory agents may only send server-side dry-run requests (kubectl --dry-run=server); a human applies the change" if {
	phase == "advisory"
	input.review.dryRun != true
}

problems contains sprintf("%s is not a trust phase; the request is denied until the constraint names one", [ag.quote(phase)]) if {
	not phase in {"shadow", "advisory", "supervised", "autonomous"}
}

problems contains sprintf("the fleet does not allow %s of %s in %s", [verb, ag.resource_key, where]) if {
	phase in {"advisory", "supervised", "autonomous"}
	not allowlisted
}

problems contains "the request names no resource, so it cannot be checked against the allowlist" if {
	phase in {"advisory", "supervised", "autonomous"}
	not ag.resource_key
}

where := sprintf("namespace %s", [ag.request_namespace]) if ag.request_namespace != ""

where := "the cluster scope" if ag.request_namespace == ""

allowlisted if ag.resource_key in ag.agent.namespaces[ag.request_namespace][verb]

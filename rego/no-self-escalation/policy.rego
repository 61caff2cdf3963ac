# METADATA
# title: No self-escalation
# description: >-
#   An agent may not create, change or delete what grants or limits access (invariant I2): RBAC,
#   ServiceAccounts and their tokens, Secrets, admission and webhook configuration, Gatekeeper
#   templates, constraints and config, network policies of any API group, Namespaces, quotas, CRDs
#   and API services; nor anything in its own namespace or labelled as an agentguard guardrail; nor
#   the exec, attach, port-forward, proxy and ephemeral-container subresources. Resources are matched
#   by what the API server routed (review.resource), in every API group that serves them.
# custom:
#   id: AG201
#   invariant: I2
#   kind: AgentGuardNoSelfEscalation
#   exemptible: false
#   parameters:
#     agents:
#       type: object
#       description: Agents by Kubernetes username, with the namespace agentguard manages for each.
#       additionalProperties:
#         type: object
#         properties:
#           namespace:
#             type: string
package agentguard.no_self_escalation

import data.lib.agentguard as ag

policy_id := "AG201"

# Whole API groups that only hold access control or cluster configuration.
guarded_groups := {
	"rbac.authorization.k8s.io",
	"admissionregistration.k8s.io",
	"apiextensions.k8s.io",
	"apiregistration.k8s.io",
	"certificates.k8s.io",
	"authentication.k8s.io",
}

# Core resources that grant identity or hold the agent's limits.
guarded_core_resources := {"serviceaccounts", "secrets", "namespaces", "resourcequotas", "limitranges"}

# Subresources that open a shell, a tunnel or a token, or inject a container.
guarded_subresources := {"exec", "attach", "portforward", "proxy", "ephemeralcontainers", "token"}

# METADATA
# description: One violation per problem, each message led by the policy ID.
# entrypoint: true
violation contains {"msg": msg, "details": {"policy": policy_id, "agent": ag.agent_name}} if {
	ag.requesting_agent
	ag.is_mutation
	some reason in reasons
	msg := sprintf("[%s] agent %s may not change %s: %s", [policy_id, ag.agent_name, ag.described, reason])
}

reasons contains "it belongs to an access-control API group" if {
	some group in {ag.resource_group, ag.kind_group}
	guarded_group(group)
}

reasons contains "service accounts, secrets, namespaces and quotas are guardrails" if {
	ag.resource_group == ""
	input.review.resource.resource in guarded_core_resources
}

reasons contains "network policies are guardrails, in every API group" if {
	endswith(lower(input.review.resource.resource), "networkpolicies")
}

reasons contains "network policies are guardrails, in every API group" if {
	endswith(lower(input.review.kind.kind), "networkpolicy")
}

reasons contains sprintf("the %s subresource is never available to agents", [ag.sub_resource]) if {
	ag.sub_resource in guarded_subresources
}

reasons contains sprintf("%s is the agent's own namespace, managed by agentguard", [ag.requesting_agent.namespace]) if {
	ag.request_namespace == ag.requesting_agent.namespace
}

# Guardrails agentguard emits in target namespaces carry its labels; removing them is no way out,
# so the old object is checked too.
reasons contains "it is an agentguard guardrail object" if {
	some obj in ag.objects
	guardrail_object(obj)
}

guarded_group(group) if group in guarded_groups

guarded_group(group) if endswith(group, "gatekeeper.sh")

guardrail_object(obj) if ag.labels(obj)["agentguard.dev/agent"]

guardrail_object(obj) if ag.labels(obj)["app.kubernetes.io/managed-by"] == "agentguard"

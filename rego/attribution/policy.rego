# METADATA
# title: Attribution
# description: >-
#   Every mutating request by an agent names the human who initiated it and links the agent's
#   OpenTelemetry trace (invariant I3). The initiator comes from the object annotation
#   agentguard.dev/initiator or from userInfo.extra of the same key; it must match one of the
#   agent's initiator patterns. The trace link comes from agentguard.dev/traceparent (annotation or
#   userInfo.extra) and must be a valid W3C traceparent (version 00, ids not all zero). When both
#   sources are present they must agree. On UPDATE an annotated trace link must differ from the old
#   object's, so an old attribution cannot be replayed. DELETE and subresources such as scale cannot
#   carry annotations: they need userInfo.extra (set by an authenticating proxy) or are denied.
# custom:
#   id: AG301
#   invariant: I3
#   kind: AgentGuardAttribution
#   parameters:
#     agents:
#       type: object
#       description: >-
#         Agents by Kubernetes username, with the identity patterns (`*` matches any characters) of
#         the humans who may initiate their actions.
#       additionalProperties:
#         type: object
#         properties:
#           initiators:
#             type: array
#             items:
#               type: string
package agentguard.attribution

import data.lib.agentguard as ag

policy_id := "AG301"

# METADATA
# description: One violation per problem, each message led by the policy ID.
# entrypoint: true
violation contains {"msg": msg, "details": {"policy": policy_id, "agent": ag.agent_name}} if {
	ag.agent
	ag.is_mutation
	some problem in problems
	msg := sprintf("[%s] agent %s may not change %s: %s", [policy_id, ag.agent_name, ag.described, problem])
}

# Annotations count only where the request carries an object body of its own: not on DELETE, and
# not on subresources (a Scale has no annotations of the target object).
annotations_usable if {
	ag.operation != "DELETE"
	ag.sub_resource == ""
}

annotated(key) := value if {
	annotations_usable
	value := ag.annotation(input.review.object, key)
}

# The values the two sources carry; more than one means they disagree.
sources(key) := {value | value := annotated(key)} | {value | value := ag.extra(key)}

how_to(key) := sprintf("set annotation %s on the object", [key]) if annotations_usable

how_to(key) := sprintf(
	"%s requests carry no annotations, so %s must come in userInfo.extra from the authenticating proxy",
	[request_form, key],
) if {
	not annotations_usable
}

default request_form := "subresource"

request_form := "DELETE" if ag.operation == "DELETE"

problems contains sprintf("no human initiator: %s (one of %s)", [how_to(ag.initiator_key), allowed_text]) if {
	count(sources(ag.initiator_key)) == 0
}

problems contains sprintf("initiator %s is not allowed to direct this agent; allowed: %s", [ag.quote(who), allowed_text]) if {
	some who in sources(ag.initiator_key)
	not initiator_allowed(who)
}

problems contains "the annotation and userInfo.extra name different initiators" if {
	count(sources(ag.initiator_key)) > 1
}

problems contains sprintf("no trace link: %s to the W3C traceparent of the agent's trace", [how_to(ag.traceparent_key)]) if {
	count(sources(ag.traceparent_key)) == 0
}

problems contains sprintf("trace link %s is not a valid W3C traceparent (00-<32 hex trace id>-<16 hex span id>-<2 hex flags>, lowercase, ids not all zero)", [ag.quote(link)]) if {
	some link in sources(ag.traceparent_key)
	not ag.valid_traceparent(link)
}

problems contains "the annotation and userInfo.extra carry different trace links" if {
	count(sources(ag.traceparent_key)) > 1
}

problems contains sprintf("trace link %s is the one already on the object; each change needs the traceparent of the trace that made it", [ag.quote(link)]) if {
	ag.operation == "UPDATE"
	link := annotated(ag.traceparent_key)
	link == ag.annotation(input.review.oldObject, ag.traceparent_key)
}

default patterns := []

patterns := ag.agent.initiators if is_array(ag.agent.initiators)

default allowed_text := "nobody: the fleet lists no initiators for this agent"

allowed_text := concat(", ", patterns) if count(patterns) > 0

# Delimiters null: `*` crosses every character; [] would stop it at "." and reject a.b@example.com.
initiator_allowed(who) if {
	is_string(who)
	some pattern in patterns
	glob.match(pattern, null, who)
}

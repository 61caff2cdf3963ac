# METADATA
# title: Attribution
# description: >-
#   Every mutating request by an agent names the human who initiated it and links the agent's
#   OpenTelemetry trace (invariant I3). The initiator comes from the object annotation
#   agentguard.dev/initiator or from userInfo.extra of the same key; it must match one of the
#   agent's initiator patterns (`*` matches any characters except `@`). The trace link comes from
#   agentguard.dev/traceparent (annotation or userInfo.extra) and must be a valid W3C traceparent
#   (version 00, ids not all zero). When both sources are present they must agree. On UPDATE an
#   annotated trace link must differ from the old object's, so an old attribution cannot be
#   replayed. DELETE and subresources such as scale cannot carry annotations: they need
#   userInfo.extra (set by an authenticating proxy) or are denied. Agents in signed mode must also
#   carry a delegation (agentguard.dev/delegation, annotation or userInfo.extra): a JWS from a
#   trusted issuer, with an allowed algorithm and a valid signature, for this fleet's audience, with
#   this agent as actor (act.sub), a human matching the initiator patterns, iat and exp within the
#   maximum lifetime, the request's trace id, and a scope (namespaces, resources, verbs) that covers
#   the request.
# custom:
#   id: AG301
#   invariant: I3
#   kind: AgentGuardAttribution
#   parameters:
#     agents:
#       type: object
#       description: >-
#         Agents by Kubernetes username: the identity patterns of the humans who may initiate their
#         actions, the attribution mode (claimed or signed) and, in signed mode, the trusted issuers.
#       additionalProperties:
#         type: object
#         properties:
#           initiators:
#             type: array
#             items:
#               type: string
#           mode:
#             type: string
#             enum: [claimed, signed]
#           issuers:
#             type: array
#             items:
#               type: string
#     issuers:
#       type: object
#       description: Trusted issuers of delegation tokens by name.
#       additionalProperties:
#         type: object
#         properties:
#           issuer:
#             type: string
#           audience:
#             type: string
#           keys:
#             type: string
#             description: The issuer's public keys as JWKS JSON text.
#           algorithms:
#             type: array
#             items:
#               type: string
#           subjectClaim:
#             type: string
#     maxTtlSeconds:
#       type: integer
#     clockSkewSeconds:
#       type: integer
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

default patterns := []

patterns := ag.agent.initiators if is_array(ag.agent.initiators)

default allowed_text := "nobody: the fleet lists no initiators for this agent"

allowed_text := concat(", ", patterns) if count(patterns) > 0

initiator_allowed(who) if {
	some pattern in patterns
	ag.initiator_matches(pattern, who)
}

# --- signed mode: a delegation the agent cannot forge -------------------------------------------

signed if ag.agent.mode == "signed"

tokens := sources(ag.delegation_key)

default issuer_names := []

issuer_names := ag.agent.issuers if is_array(ag.agent.issuers)

default trusted_text := "none: the fleet trusts no issuer for this agent"

trusted_text := concat(", ", [sprintf("%s: %s", [name, input.parameters.issuers[name].issuer]) | some name in issuer_names]) if {
	count(issuer_names) > 0
}

token := t if {
	signed
	count(tokens) == 1
	some t in tokens
}

# The three base64url parts of a compact JWS; checked before any JWT builtin runs.
well_formed if {
	is_string(token)
	regex.match(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$`, token)
}

decoded := [header, payload] if {
	well_formed
	[header, payload, _] := io.jwt.decode(token)
}

header := decoded[0]

claims := decoded[1]

# The trusted issuer whose `iss` the token names, among those this agent trusts.
issuer_name := name if {
	some name in issuer_names
	input.parameters.issuers[name].issuer == claims.iss
}

issuer := input.parameters.issuers[issuer_name]

default iss_text := "(missing)"

iss_text := ag.quote(claims.iss)

default alg_text := "(missing)"

alg_text := ag.quote(header.alg)

default algorithm_allowed := false

algorithm_allowed if header.alg in issuer.algorithms

# The signature, checked with the builtin of exactly the algorithm the header names (each verifies
# one algorithm whatever the header says, so the header cannot switch it).
verified if {
	algorithm_allowed
	header.alg == "ES256"
	io.jwt.verify_es256(token, issuer.keys)
}

verified if {
	algorithm_allowed
	header.alg == "RS256"
	io.jwt.verify_rs256(token, issuer.keys)
}

verified if {
	algorithm_allowed
	header.alg == "EdDSA"
	io.jwt.verify_eddsa(token, issuer.keys)
}

# Problems about claims need `verified`: claims are read only once the signature holds.

ns := 1000000000

now := time.now_ns()

default max_ttl := 900

max_ttl := input.parameters.maxTtlSeconds if is_number(input.parameters.maxTtlSeconds)

default skew := 0

skew := input.parameters.clockSkewSeconds if is_number(input.parameters.clockSkewSeconds)

default audience_ok := false

audience_ok if claims.aud == issuer.audience

audience_ok if {
	is_array(claims.aud)
	issuer.audience in claims.aud
}

human := object.get(claims, issuer.subjectClaim, null)

# The trace the request links, when there is exactly one valid link.
trace_id := split(link, "-")[1] if {
	count(sources(ag.traceparent_key)) == 1
	some link in sources(ag.traceparent_key)
	ag.valid_traceparent(link)
}

# Scope: each dimension the token sets narrows it; one it leaves out does not.
verb := lower(ag.operation)

scope_dimensions := [
	["namespaces", ag.request_namespace],
	["resources", ag.resource_key],
	["verbs", verb],
]

# --- the problems, claimed and signed ------------------------------------------------------------

problems contains sprintf("no human initiator: %s (one of %s)", [how_to(ag.initiator_key), allowed_text]) if {
	not signed
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

problems contains sprintf(
	"no delegation: this agent needs signed attribution; %s to a delegation token signed by a trusted issuer (%s), e.g. from `agentguard delegate`",
	[how_to(ag.delegation_key), trusted_text],
) if {
	signed
	count(tokens) == 0
}

problems contains "the annotation and userInfo.extra carry different delegations" if {
	signed
	count(tokens) > 1
}

problems contains "the delegation is not a compact JWS with a JSON header and claims (base64url header.payload.signature); send the token exactly as the issuer minted it" if {
	token
	not decoded
}

problems contains sprintf("delegation issuer %s is not trusted for this agent; trusted: %s", [iss_text, trusted_text]) if {
	decoded
	not issuer_name
}

problems contains sprintf("delegation algorithm %s is not allowed for issuer %s; allowed: %s", [alg_text, issuer_name, concat(", ", issuer.algorithms)]) if {
	issuer_name
	not algorithm_allowed
}

problems contains sprintf("delegation signature does not verify with the keys of issuer %s; the token was altered or not signed by it", [issuer_name]) if {
	algorithm_allowed
	not verified
}

problems contains sprintf("delegation has no numeric %s claim; issuers must set iat and exp", [name]) if {
	verified
	some name in ["iat", "exp"]

	# object.get: a call on an undefined argument is undefined, and so would be its negation.
	not is_number(object.get(claims, name, null))
}

problems contains sprintf("delegation expired; ask issuer %s for a new one", [issuer_name]) if {
	verified
	is_number(claims.exp)
	now >= claims.exp * ns
}

problems contains sprintf("delegation is not valid yet (%s is in the future); check the issuer's clock", [name]) if {
	verified
	some name in ["iat", "nbf"]
	is_number(claims[name])
	claims[name] * ns > now + (skew * ns)
}

problems contains "delegation nbf is not a number" if {
	verified
	claims.nbf != null
	not is_number(claims.nbf)
}

problems contains sprintf("delegation lifetime (exp - iat) is above the fleet maximum of %s seconds; mint shorter tokens", [format_int(max_ttl, 10)]) if {
	verified
	is_number(claims.exp)
	is_number(claims.iat)
	claims.exp - claims.iat > max_ttl
}

problems contains sprintf("delegation audience %s is not this fleet's %s; the token was minted for another cluster", [ag.quote(claims.aud), ag.quote(issuer.audience)]) if {
	verified
	not audience_ok
}

problems contains sprintf("delegation audience (missing) is not this fleet's %s", [ag.quote(issuer.audience)]) if {
	verified
	not claims.aud
}

problems contains sprintf("delegation is for actor %s, not this agent (%s): act.sub must name the agent's username", [ag.quote(claims.act.sub), ag.username]) if {
	verified
	claims.act.sub != ag.username
}

problems contains sprintf("delegation names no actor: act.sub must be this agent's username %s", [ag.username]) if {
	verified
	not claims.act.sub
}

problems contains sprintf("delegation names no human in claim %s", [issuer.subjectClaim]) if {
	verified
	not is_string(human)
}

problems contains sprintf("delegated by %s, who is not allowed to direct this agent; allowed: %s", [ag.quote(human), allowed_text]) if {
	verified
	is_string(human)
	not initiator_allowed(human)
}

problems contains sprintf("initiator %s differs from the delegation's human %s", [ag.quote(who), ag.quote(human)]) if {
	verified
	is_string(human)
	some who in sources(ag.initiator_key)
	who != human
}

problems contains sprintf("delegation is for trace %s but the request's traceparent is for trace %s; each trace needs its own delegation", [ag.quote(claims.trace_id), ag.quote(trace_id)]) if {
	verified
	claims.trace_id != trace_id
}

problems contains sprintf("delegation names no trace_id; the request's trace is %s", [ag.quote(trace_id)]) if {
	verified
	trace_id
	not claims.trace_id
}

problems contains sprintf("delegation scope %s %s does not cover %s", [dimension, ag.quote(allowed), ag.quote(value)]) if {
	verified
	some [dimension, value] in scope_dimensions
	allowed := claims.scope[dimension]
	allowed != null
	not value in allowed
}

problems contains sprintf("delegation scope must be an object of namespaces, resources and verbs; got %s", [ag.quote(claims.scope)]) if {
	verified
	claims.scope != null
	not is_object(claims.scope)
}

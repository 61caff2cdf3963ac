# METADATA
# title: agentguard shared library
# description: >-
#   What every agentguard policy needs to know about a request: which agent sent it, what it touches,
#   who stands behind it and how many replicas it asks for. Gatekeeper receives this file through
#   each template's `libs`, generated from here, so it exists once and is never copied.
# custom:
#   parameters:
#     exemptObjects:
#       type: array
#       description: >-
#         Objects the fleet exempts from this policy (spec.exemptions[].objects), as
#         <resource>[.<group>]/<namespace>/<name>, e.g. deployments.apps/shop/legacy-api.
#       items:
#         type: string
package lib.agentguard

username := input.review.userInfo.username

# The agent behind the request, whatever the request is about. Parameters are keyed by username, so
# this is one map lookup and the cost of a review does not grow with the size of the fleet. Undefined
# for everyone else, which is what keeps ordinary users and system components out of every agent rule.
# Policies that no exemption may reach (the kill switch, the escalation guards) read this one.
requesting_agent := input.parameters.agents[username]

# The agent behind the request, unless the request is about an object the fleet exempts from this
# policy (spec.exemptions[].objects, rendered into the constraint's exemptObjects parameter). The
# generator declares exemptObjects in every template whose METADATA does not say `exemptible: false`.
agent := requesting_agent if not exempt_object

# An exempted object is named as "<resource>[.<group>]/<namespace>/<name>": the routed resource,
# which the API server sets and a request body cannot claim, so a subresource request (kubectl scale
# sends kind Scale to deployments/scale) is still about its parent. Objects without a name yet
# (generateName) and cluster-scoped objects are never exempt. Only an existing object is: a CREATE is
# never exempt, or an agent could make an exempt object by choosing its name.
exempt_object if {
	operation in {"UPDATE", "DELETE"}
	sub_resource in exempt_sub_resources
	exempted := input.parameters.exemptObjects
	object_ref in exempted
}

# The object itself and its replica count; never another door into it (pods/ephemeralcontainers,
# pods/resize, status), which the exemption's approver did not look at.
exempt_sub_resources := {"", "scale"}

object_ref := concat("/", [group_suffixed(input.review.resource.resource, resource_group), request_namespace, input.review.name]) if {
	request_namespace != ""
	is_string(input.review.name)
	input.review.name != ""
}

# The agent's name, from its service-account username system:serviceaccount:<namespace>:<name>.
default agent_name := "unknown agent"

agent_name := parts[3] if {
	parts := split(username, ":")
	count(parts) == 4
}

operation := input.review.operation

mutating_operations := {"CREATE", "UPDATE", "DELETE"}

# Questions an identity asks about itself (`kubectl auth can-i`, `kubectl auth whoami`): CREATE
# requests the API server answers and stores nowhere. They change nothing, so they count as reads;
# counting them as writes would refuse every agent the question of what it may do. Matched by the
# routed resource, which a request body cannot claim.
self_reviews := {
	"selfsubjectaccessreviews.authorization.k8s.io",
	"selfsubjectrulesreviews.authorization.k8s.io",
	"selfsubjectreviews.authentication.k8s.io",
}

is_mutation if {
	operation in mutating_operations
	not resource_key in self_reviews
}

# The object the request writes: the new object, or the old one on DELETE (whose object is null).
subject := input.review.object if is_object(input.review.object)

subject := input.review.oldObject if {
	not is_object(input.review.object)
	is_object(input.review.oldObject)
}

# Both sides of an UPDATE: a label removed in the new object still counts.
objects := [obj | some obj in [input.review.object, input.review.oldObject]; is_object(obj)]

default sub_resource := ""

sub_resource := input.review.subResource if is_string(input.review.subResource)

# The resource as RBAC and kubectl spell it: "deployments.apps", "configmaps",
# "deployments.apps/scale". Taken from review.resource (what the API server routed), not from the
# object's kind, which a request body can claim freely.
resource_key := with_subresource(group_suffixed(input.review.resource.resource, resource_group), sub_resource)

default resource_group := ""

resource_group := input.review.resource.group if is_string(input.review.resource.group)

default kind_group := ""

kind_group := input.review.kind.group if is_string(input.review.kind.group)

# "apps/Deployment", "/Pod": the request's kind with its group, as the kind tables below spell it.
kind_key := concat("/", [kind_group, input.review.kind.kind])

group_suffixed(name, "") := name

group_suffixed(name, group) := concat(".", [name, group]) if group != ""

with_subresource(base, "") := base

with_subresource(base, sub) := concat("/", [base, sub]) if sub != ""

default request_namespace := ""

request_namespace := input.review.namespace if is_string(input.review.namespace)

# A readable name for the object in messages; CREATE with generateName has no name yet.
default object_name := "(unnamed)"

object_name := input.review.name if {
	is_string(input.review.name)
	input.review.name != ""
}

object_name := concat("", [subject.metadata.generateName, "*"]) if {
	not input.review.name
	is_string(subject.metadata.generateName)
}

# "deployments.apps shop/web": what a violation message names.
default described := "the object"

described := sprintf("%s %s/%s", [resource_key, request_namespace, object_name]) if request_namespace != ""

described := sprintf("%s %s", [resource_key, object_name]) if request_namespace == ""

# A value as message text: strings in double quotes, anything else as JSON. sprintf's %v and %q
# render differently in Go (Gatekeeper) and in opa-wasm's JavaScript, so messages use only this and %s.
quote(value) := concat("", ["\"", value, "\""]) if is_string(value)

quote(value) := json.marshal(value) if not is_string(value)

labels(obj) := obj.metadata.labels if is_object(obj.metadata.labels)

labels(obj) := {} if not is_object(obj.metadata.labels)

annotation(obj, key) := obj.metadata.annotations[key]

# --- attribution (I3) ---------------------------------------------------------------------------

initiator_key := "agentguard.dev/initiator"

traceparent_key := "agentguard.dev/traceparent"

delegation_key := "agentguard.dev/delegation"

# Initiator patterns: `*` matches any run of characters except `@`, every other character is literal
# (the fleet schema admits no other glob syntax, and refuses `**`, which would cross `@`). So
# `release-manager-*@shop.example` never matches `release-manager-x@evil.example@shop.example`.
initiator_matches(pattern, who) if {
	is_string(pattern)
	is_string(who)
	glob.match(pattern, ["@"], who)
}

# userInfo.extra holds lists of strings, set by the authenticator (for example an authenticating
# proxy); an agent cannot forge it without `impersonate`, which its RBAC never grants.
extra(key) := value if {
	values := input.review.userInfo.extra[key]
	count(values) == 1
	value := values[0]
}

# W3C trace context, version 00: 2 hex version, 32 hex trace id, 16 hex parent id, 2 hex flags,
# lowercase, and neither id all zeros (the spec declares those invalid).
valid_traceparent(value) if {
	is_string(value)
	regex.match(`^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$`, value)
	parts := split(value, "-")
	parts[1] != "00000000000000000000000000000000"
	parts[2] != "0000000000000000"
}

# --- replicas (I4) ------------------------------------------------------------------------------

# Built-in workloads whose replicas the API server defaults to 1 when the field is unset.
defaulted_replica_kinds := {
	"apps/Deployment",
	"apps/StatefulSet",
	"apps/ReplicaSet",
	"/ReplicationController",
}

# The replica count an object asks for: spec.replicas on any kind (a Scale, a custom workload), 1
# for built-in workloads that leave it unset. Undefined when the object has no replica notion.
replicas(obj) := obj.spec.replicas if has_replicas(obj)

replicas(obj) := 1 if {
	not has_replicas(obj)
	kind_key in defaulted_replica_kinds
}

has_replicas(obj) if obj.spec.replicas != null

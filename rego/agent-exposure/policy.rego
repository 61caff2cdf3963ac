# METADATA
# title: Network exposure an agent writes
# description: >-
#   A Service or an Ingress acts with privileges its writer does not hold: kube-proxy on every node
#   routes a Service's external IPs (CVE-2020-8554: traffic to 8.8.8.8 from anywhere in the cluster
#   goes to the agent's pods), the cloud opens a LoadBalancer or NodePort to the world, an
#   ExternalName makes a name inside the cluster resolve anywhere, and the ingress controller, which
#   reads every Secret of the cluster, runs what an Ingress's annotations say (CVE-2021-25742,
#   CVE-2025-1974) and serves whatever certificate it names (invariant I2). So every Service and
#   Ingress an agent identity writes, by CREATE or UPDATE (and their status), in any namespace, is
#   held to what the fleet names for that target under targets[].exposure. spec.externalIPs is never
#   allowed; Service types other than ClusterIP only if listed in serviceTypes, a LoadBalancer only
#   with source ranges from loadBalancerSourceRanges. Ingress annotations that inject controller
#   configuration or send requests or Secrets elsewhere are never allowed, under any controller
#   prefix, matched on the part after the last "/": any name ending in "snippet" or "snippets"
#   (configuration-snippet, server-snippet, auth-snippet, modsecurity-snippet, stream-snippet,
#   nginx.org/location-snippets, haproxy.org/backend-config-snippet) and auth-url, auth-signin,
#   auth-proxy-set-headers, auth-secret, auth-tls-secret, auth-tls-match-cn, proxy-ssl-secret,
#   custom-headers, mirror-target, mirror-uri, mirror-host, default-backend and server-alias. TLS
#   Secrets must be listed in tlsSecrets, spec.defaultBackend needs defaultBackend: true, backends
#   are Services only (never a resource backend), and when ingressClasses lists classes the Ingress
#   must name one of them. The new object is checked whole, so an UPDATE cannot keep or smuggle in
#   a field that was already bad.
# custom:
#   id: AG203
#   invariant: I2
#   kind: AgentGuardAgentExposure
#   exemptible: false
#   parameters:
#     agents:
#       type: object
#       description: >-
#         Agents by Kubernetes username: per target namespace, what the Services and Ingresses they
#         write there may expose (the fleet's targets[].exposure).
#       additionalProperties:
#         type: object
#         properties:
#           namespaces:
#             type: object
#             additionalProperties:
#               type: object
#               properties:
#                 serviceTypes:
#                   type: array
#                   items:
#                     type: string
#                 loadBalancerSourceRanges:
#                   type: array
#                   items:
#                     type: string
#                 ingressClasses:
#                   type: array
#                   items:
#                     type: string
#                 tlsSecrets:
#                   type: array
#                   items:
#                     type: string
#                 defaultBackend:
#                   type: boolean
package agentguard.agent_exposure

import data.lib.agentguard as ag

policy_id := "AG203"

# METADATA
# description: One violation per problem, each message led by the policy ID.
# entrypoint: true
violation contains {"msg": msg, "details": {"policy": policy_id, "agent": ag.agent_name}} if {
	ag.requesting_agent
	ag.operation in {"CREATE", "UPDATE"}
	some problem in problems
	msg := sprintf("[%s] agent %s may not write %s: %s", [policy_id, ag.agent_name, ag.described, problem])
}

# What the fleet lets Services and Ingresses written in this namespace expose; outside the agent's
# targets, nothing beyond a plain ClusterIP Service and an Ingress without TLS Secrets.
default allowance := {}

allowance := ag.requesting_agent.namespaces[ag.request_namespace] if is_object(ag.requesting_agent.namespaces[ag.request_namespace])

allowed(field) := object.get(allowance, field, [])

# "spec.agents[release-bot].targets[shop].exposure.serviceTypes": the fleet field that would allow it.
fleet_field(field) := sprintf("spec.agents[%s].targets[%s].exposure.%s", [ag.agent_name, ag.request_namespace, field])

listed_or_none(field) := concat(", ", allowed(field)) if count(allowed(field)) > 0

listed_or_none(field) := "none" if count(allowed(field)) == 0

# The kind the API server routed (review.kind, not the body's kind), including its status.
is_service if ag.kind_key == "/Service"

is_ingress if ag.kind_key in {"networking.k8s.io/Ingress", "extensions/Ingress"}

obj := input.review.object

# --- what is wrong with the Service or Ingress ---

# A status.loadBalancer.ingress IP is the other half of CVE-2020-8554: kube-proxy routes it too.
problems contains "status may not be written by an agent: the Service and Ingress controllers report it" if {
	is_service
	ag.sub_resource == "status"
}

problems contains "status may not be written by an agent: the Service and Ingress controllers report it" if {
	is_ingress
	ag.sub_resource == "status"
}

problems contains msg if {
	is_service
	ips := object.get(obj, ["spec", "externalIPs"], null)
	not ips in {null, []}
	msg := sprintf(
		"spec.externalIPs %s may not be set: a Service with external IPs takes over traffic to those addresses from every pod and node of the cluster (CVE-2020-8554); no fleet field allows it",
		[ag.quote(ips)],
	)
}

problems contains msg if {
	is_service
	not service_type == "ClusterIP"
	not service_type in allowed("serviceTypes")
	msg := sprintf(
		"spec.type %s is not allowed: use ClusterIP or a type listed in %s (allowed: %s)",
		[ag.quote(service_type), fleet_field("serviceTypes"), listed_or_none("serviceTypes")],
	)
}

problems contains msg if {
	is_service
	service_type == "LoadBalancer"
	not non_empty_list(source_ranges)
	msg := sprintf(
		"spec.loadBalancerSourceRanges must list the clients a LoadBalancer admits, each one of %s (allowed: %s); without it the whole internet reaches the pods",
		[fleet_field("loadBalancerSourceRanges"), listed_or_none("loadBalancerSourceRanges")],
	)
}

problems contains msg if {
	is_service
	service_type == "LoadBalancer"
	is_array(source_ranges)
	some range in source_ranges
	not range in allowed("loadBalancerSourceRanges")
	msg := sprintf(
		"spec.loadBalancerSourceRanges %s is not allowed: each range must be listed in %s (allowed: %s)",
		[ag.quote(range), fleet_field("loadBalancerSourceRanges"), listed_or_none("loadBalancerSourceRanges")],
	)
}

problems contains msg if {
	is_ingress
	some key, _ in object.get(obj, ["metadata", "annotations"], {})
	denied_annotation(key)
	msg := sprintf(
		"metadata.annotations[%s] is not allowed: it has the ingress controller, which reads every Secret of the cluster, run configuration or send requests elsewhere; no fleet field allows it",
		[ag.quote(key)],
	)
}

problems contains msg if {
	is_ingress
	some tls in object.get(obj, ["spec", "tls"], [])
	secret := object.get(tls, "secretName", "")
	not secret in {"", null}
	not secret in allowed("tlsSecrets")
	msg := sprintf(
		"spec.tls[].secretName %s is not allowed: the ingress controller serves that Secret's certificate and key; list it in %s (allowed: %s)",
		[ag.quote(secret), fleet_field("tlsSecrets"), listed_or_none("tlsSecrets")],
	)
}

problems contains "spec.tls must be a list" if {
	is_ingress
	tls := obj.spec.tls
	tls != null
	not is_array(tls)
}

# spec.backend is the extensions/v1beta1 name of spec.defaultBackend.
problems contains msg if {
	is_ingress
	some field in ["defaultBackend", "backend"]
	not default_backend_allowed
	obj.spec[field] != null
	msg := sprintf(
		"spec.%s may not be set: it takes every request no rule matches; set %s: true to allow it",
		[field, fleet_field("defaultBackend")],
	)
}

problems contains sprintf("%s.resource may not be set: the backends of an Ingress an agent writes are Services", [field]) if {
	is_ingress
	some [field, backend] in backends
	object.get(backend, "resource", null) != null
}

problems contains msg if {
	is_ingress
	count(allowed("ingressClasses")) > 0
	some [field, class] in ingress_classes
	not class in allowed("ingressClasses")
	msg := sprintf(
		"%s %s is not allowed: use an IngressClass listed in %s (allowed: %s)",
		[field, ag.quote(class), fleet_field("ingressClasses"), listed_or_none("ingressClasses")],
	)
}

problems contains msg if {
	is_ingress
	count(allowed("ingressClasses")) > 0
	count(ingress_classes) == 0
	msg := sprintf(
		"spec.ingressClassName must be set: the cluster's default class may be one the fleet did not list in %s (allowed: %s)",
		[fleet_field("ingressClasses"), listed_or_none("ingressClasses")],
	)
}

# --- helpers ---

# The API server defaults an unset type to ClusterIP.
default service_type := "ClusterIP"

service_type := object.get(obj, ["spec", "type"], "ClusterIP") if object.get(obj, ["spec", "type"], null) != null

# A LoadBalancer the fleet allows still admits only the clients it names: no ranges is the world.
source_ranges := object.get(obj, ["spec", "loadBalancerSourceRanges"], [])

default_backend_allowed if allowance.defaultBackend == true

non_empty_list(value) if {
	is_array(value)
	count(value) > 0
}

# Annotation names (the part after the last "/", so every controller's prefix) that make the ingress
# controller run configuration, fetch a URL, mirror traffic, read a Secret or ConfigMap of another
# namespace, or answer for other hosts and backends.
denied_annotations := {
	"auth-url",
	"auth-signin",
	"auth-proxy-set-headers",
	"auth-secret",
	"auth-tls-secret",
	"auth-tls-match-cn",
	"proxy-ssl-secret",
	"custom-headers",
	"mirror-target",
	"mirror-uri",
	"mirror-host",
	"default-backend",
	"server-alias",
}

annotation_name(key) := lower(parts[count(parts) - 1]) if parts := split(key, "/")

denied_annotation(key) if annotation_name(key) in denied_annotations

denied_annotation(key) if endswith(annotation_name(key), "snippet")

denied_annotation(key) if endswith(annotation_name(key), "snippets")

backends contains [sprintf("spec.%s", [field]), backend] if {
	some field in ["defaultBackend", "backend"]
	backend := obj.spec[field]
	is_object(backend)
}

backends contains ["spec.rules[].http.paths[].backend", backend] if {
	some rule in object.get(obj, ["spec", "rules"], [])
	some path in object.get(rule, ["http", "paths"], [])
	backend := path.backend
	is_object(backend)
}

# The classes the Ingress names: the field, and the annotation older controllers still read.
ingress_classes contains ["spec.ingressClassName", class] if {
	class := obj.spec.ingressClassName
	class != null
}

ingress_classes contains [sprintf("metadata.annotations[%s]", [ag.quote("kubernetes.io/ingress.class")]), class] if {
	class := obj.metadata.annotations["kubernetes.io/ingress.class"]
}

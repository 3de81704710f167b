# The decision Warden's action check makes (domain/delegation/validators.ts), in Rego, for the
# benchmark's comparison with Open Policy Agent: the authority envelope (objectives, tools, data
# permissions), the caller's hash being the current one, the ABP active, its exports current and
# its drift under max_ds. `data` holds the ABP and the facts around it (bench/opa/opa-server.ts).
package warden

import rego.v1

objective_denied contains o if {
	some o in data.abp.objectives.denied
	o.id == input.objective
}

objective_allowed if {
	some o in data.abp.objectives.allowed
	o.id == input.objective
}

tool_denied contains t if {
	some t in data.abp.tools.deny
	t.name == input.tool
}

tool_allowed if {
	some t in data.abp.tools.allow
	t.name == input.tool
}

resource_matches(pattern, resource) if {
	endswith(pattern, "*")
	startswith(resource, trim_suffix(pattern, "*"))
}

resource_matches(pattern, resource) if {
	not endswith(pattern, "*")
	pattern == resource
}

role_fits(_) if not input.role

role_fits(p) if input.role in p.roles

granted(access) if {
	some p in data.abp.data.permissions
	resource_matches(p.resource, access.resource)
	access.operation in p.operations
	role_fits(p)
}

deny contains sprintf("objective %s denied: %s", [input.objective, o.reason]) if some o in objective_denied

deny contains sprintf("objective %s not allowed", [input.objective]) if {
	count(objective_denied) == 0
	not objective_allowed
}

deny contains sprintf("tool %s denied: %s", [input.tool, t.reason]) if some t in tool_denied

deny contains sprintf("tool %s not allowed", [input.tool]) if {
	count(tool_denied) == 0
	not tool_allowed
}

deny contains sprintf("%s on %s not permitted", [access.operation, access.resource]) if {
	some access in input.data
	not granted(access)
}

deny contains sprintf("caller holds %s, current is %s", [input.abp_hash, data.current_hash]) if input.abp_hash != data.current_hash

deny contains sprintf("%s is %s", [data.abp.abp_id, data.status]) if data.status != "active"

deny contains sprintf("export %s does not embed the current ABP", [e.export_id]) if {
	some e in data.exports
	e.abp_hash != data.current_hash
}

escalate contains sprintf("%d red/yellow drift signal(s) > max_ds %d", [data.open_drift, data.max_ds]) if data.open_drift > data.max_ds

decision := {"allowed": count(deny) == 0, "deny": deny, "escalate": escalate}

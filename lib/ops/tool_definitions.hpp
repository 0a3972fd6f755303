// MCP `Tool` objects built from the operation table: what `pyro mcp serve` lists
// and what `pyro.tools` hands to model APIs, spelled once.
#pragma once

#include <nlohmann/json.hpp>

#include "ops/operation_table.hpp"

namespace pyro::ops {

/// name, title, description, inputSchema (from the params), outputSchema (anyOf
/// the result's schema and error_schema()) and annotations with all four hints.
nlohmann::json tool_definition(const OperationSpec& op);

/// The structured form of a failure: {"error": {"code", "message"}}.
nlohmann::json error_schema();

}  // namespace pyro::ops

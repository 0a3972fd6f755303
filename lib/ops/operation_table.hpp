// The operation table (spec/operations.json, compiled in): every public operation
// once, with its parameters (types, ranges, enums, defaults), result type, errors
// and the MCP profiles that offer it. The dispatcher, the MCP tool list and every
// surface's JSON mode are built from it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace pyro::ops {

/// One parameter of an operation, as the table declares it.
struct ParamSpec {
  std::string name;
  /// Other spellings callers may use for it (e.g. `workspace_id`); never listed as
  /// parameters of their own.
  std::vector<std::string> aliases;
  /// "string", "integer", "number", "boolean", "object" (string map) or "json"
  /// (any JSON value described by `schema`)
  std::string type;
  bool optional = false;
  nlohmann::json default_value;  ///< null when the table gives none
  std::optional<double> minimum;
  std::optional<double> maximum;
  std::string doc;
  nlohmann::json enum_values;  ///< the allowed values (an array), or null
  nlohmann::json schema;       ///< type "json": its JSON Schema, else null
};

struct OperationSpec {
  std::string name;       ///< table name, e.g. "run_in_vm"; selects the handler
  std::string tool_name;  ///< MCP tool name: the op's `mcp` field, else `name`
  std::string since;
  std::string summary;
  std::string result;  ///< result type, e.g. "ExecResult", "list[WorkspaceInfo]", "none"
  std::vector<std::string> errors;
  nlohmann::json annotations;  ///< as in the table, possibly partial
  std::vector<std::string> profiles;  ///< MCP profiles offering it, e.g. "vm-run"
  std::vector<ParamSpec> params;

  /// The param called `name` (its name or one of its aliases), or nullptr.
  const ParamSpec* find_param(std::string_view name) const;
};

/// Every operation of the compiled-in table, in table order.
const std::vector<OperationSpec>& all_operations();

/// The operation named `name` (its table name or its MCP tool name: each is an alias
/// of the other), or nullptr.
const OperationSpec* find_operation(std::string_view name);

/// The profile names the table uses, in order: "vm-run", "workspace-core", "workspace-full".
const std::vector<std::string>& profile_names();

/// The operations `profile` offers, in table order. Throws Error(kInvalidArgument)
/// for a profile the table does not name.
std::vector<const OperationSpec*> operations_for_profile(std::string_view profile);

/// The JSON Schema of a result type's JSON form (spec/result_schemas.json): lists
/// as {"items": [...]}, "none" as {}. Null for a type the schemas lack.
nlohmann::json result_schema(const std::string& result_type);

}  // namespace pyro::ops

// The MCP tool list, built from the operation table (spec/operations.json, compiled
// in): one tool per operation of the chosen profile, with inputSchema from the
// operation's params and outputSchema from result_schemas.json.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace pyro_mcp {

/// One parameter of an operation, as the table declares it.
struct ParamSpec {
  std::string name;
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

struct ToolSpec {
  std::string operation;  ///< table name, e.g. "run_in_vm"; selects the dispatcher
  std::string name;       ///< MCP tool name: the op's `mcp` field, else the op name
  std::string since;
  std::string summary;
  std::string result;     ///< result type, e.g. "ExecResult", "list[WorkspaceInfo]", "none"
  std::vector<std::string> errors;
  nlohmann::json annotations;  ///< as in the table, possibly partial
  std::vector<ParamSpec> params;
};

/// Which tools a server offers (`pyro mcp serve --profile`).
enum class Profile { kVmRun, kWorkspaceCore, kWorkspaceFull };

/// Parses "vm-run", "workspace-core" or "workspace-full".
std::optional<Profile> parse_profile(std::string_view name);

/// Every operation of the compiled-in table, in table order.
const std::vector<ToolSpec>& all_operations();

/// The tools of `profile`, in table order:
///   vm-run          run_in_vm
///   workspace-core  run_in_vm, list_environments and the core workspace operations
///   workspace-full  run_in_vm, the environment operations and every operation since 0.3
std::vector<ToolSpec> tools_for_profile(Profile profile);

/// The `Tool` object of tools/list: name, title, description, inputSchema,
/// outputSchema (anyOf the result's schema and error_schema()) and annotations
/// with all four hints.
nlohmann::json tool_definition(const ToolSpec& tool);

/// The structuredContent of a failed call: {"error": {"code", "message"}}.
nlohmann::json error_schema();

/// The JSON Schema of structuredContent for a result type, or null for none.
nlohmann::json output_schema(const std::string& result_type);

}  // namespace pyro_mcp

// pyro/operations.hpp — the operation table, for callers that drive pyro by name.
//
// Every public operation is defined once in the table (spec/operations.json,
// compiled into libpyro): its parameters with types, ranges and defaults, its
// errors, its result type and the MCP profiles that offer it. Pyro::call runs any
// of them from JSON; the MCP server, `pyro.tools` and the CLI's --json are
// transports over it.
#pragma once

#include <string>
#include <string_view>

#include "pyro/export.hpp"
#include "pyro/types.hpp"

namespace pyro {
inline namespace v1 {

/// Per-call hooks of Pyro::call that JSON cannot carry.
struct CallOptions {
  /// Progress of long work (pull_environment, import_environment, create_workspace).
  ProgressHandler progress;
  /// Since 0.3: live output of run_in_vm, exec_vm and exec_workspace (ExecOptions::on_output).
  OutputHandler on_output;
  /// Since 0.3: cancels run_in_vm, exec_vm and exec_workspace (ExecOptions::cancel).
  CancelToken cancel;
};

/// spec/operations.json as compiled in (JSON text).
PYRO_API std::string operation_table_json();

/// spec/result_schemas.json as compiled in: the JSON Schema of each result type.
PYRO_API std::string result_schemas_json();

/// The MCP tool name of the operation `name` names: its tool name or its table name
/// (an alias of each other: "start_service" -> "service_start"); "" for no operation.
/// Pyro::call accepts either; a profile's tool list shows only the tool names.
PYRO_API std::string tool_name(std::string_view name);

/// The MCP `Tool` objects (name, title, description, inputSchema, outputSchema,
/// annotations) of the operations `profile` offers ("vm-run", "workspace-core",
/// "workspace-full"), as a JSON array. Throws Error(kInvalidArgument) for an
/// unknown profile.
PYRO_API std::string tool_definitions_json(std::string_view profile);

}  // namespace v1
}  // namespace pyro

// One small function per operation: tool arguments -> pyro::Pyro call -> the
// structuredContent of the result (lists wrapped as {"items": [...]}, no result as {}).
// They throw pyro::Error; the server turns that into an isError result.
#pragma once

#include <span>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mcp/arguments.hpp"
#include "pyro/client.hpp"

namespace pyro_mcp {

using Dispatcher = nlohmann::json (*)(pyro::Pyro& client, const Arguments& args);

struct DispatchEntry {
  std::string_view operation;  ///< table name, e.g. "run_in_vm"
  Dispatcher call;
};

/// The dispatcher of `operation`, or nullptr when this server has none (an
/// operation added to the table later); calling such a tool reports kUnimplemented.
Dispatcher find_dispatcher(std::string_view operation);

/// ExecOptions from timeout_seconds, max_output_bytes, env and cwd.
pyro::ExecOptions exec_options(const Arguments& args);

// Defined in dispatch_vm.cpp, dispatch_workspace.cpp and dispatch_services.cpp.
std::span<const DispatchEntry> vm_dispatchers();
std::span<const DispatchEntry> workspace_dispatchers();
std::span<const DispatchEntry> service_dispatchers();

/// {"items": [to_json(item)...]}: how a list result is structured content.
template <typename T>
nlohmann::json items_of(const std::vector<T>& list);

}  // namespace pyro_mcp

#include "json_types.hpp"

template <typename T>
nlohmann::json pyro_mcp::items_of(const std::vector<T>& list) {
  return {{"items", pyro_json::to_json_array(list)}};
}

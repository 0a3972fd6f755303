// One small handler per operation: checked arguments -> pyro::Pyro call -> the
// result's JSON form (lists wrapped as {"items": [...]}, no result as {}). They
// throw pyro::Error; validation against the table happened before (Arguments).
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ops/arguments.hpp"
#include "ops/result_json.hpp"
#include "pyro/client.hpp"

namespace pyro::ops {

using Handler = ResultJson (*)(Pyro& client, const Arguments& args, const CallOptions& options);

struct HandlerEntry {
  std::string_view operation;  ///< table name, e.g. "run_in_vm"
  Handler handler;
};

// Defined in handlers_vm.cpp, handlers_workspace.cpp and handlers_services.cpp.
std::span<const HandlerEntry> vm_handlers();
std::span<const HandlerEntry> workspace_handlers();
std::span<const HandlerEntry> service_handlers();

/// The handler of table operation `operation`, or nullptr when none exists.
Handler find_handler(std::string_view operation);

/// ExecOptions from timeout_seconds, max_output_bytes, env and cwd.
ExecOptions exec_options(const Arguments& args);
/// The same, with the call's live output handler and cancel token.
ExecOptions exec_options(const Arguments& args, const CallOptions& call);

/// {"items": [json_of(item)...]}: the JSON form of a list result.
template <typename T>
ResultJson items_of(const std::vector<T>& list) {
  return {{"items", json_array_of(list)}};
}

}  // namespace pyro::ops

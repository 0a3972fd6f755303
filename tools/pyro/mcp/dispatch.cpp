#include "mcp/dispatch.hpp"

namespace pyro_mcp {

pyro::ExecOptions exec_options(const Arguments& args) {
  pyro::ExecOptions exec;
  exec.timeout_seconds = args.number("timeout_seconds", exec.timeout_seconds);
  exec.max_output_bytes = args.u64("max_output_bytes", exec.max_output_bytes);
  exec.env = args.string_map("env");
  exec.cwd = args.string("cwd");
  return exec;
}

Dispatcher find_dispatcher(std::string_view operation) {
  for (auto entries : {vm_dispatchers(), workspace_dispatchers(), service_dispatchers()}) {
    for (const auto& entry : entries) {
      if (entry.operation == operation) return entry.call;
    }
  }
  return nullptr;
}

}  // namespace pyro_mcp

#include "ops/dispatcher.hpp"

#include <fmt/format.h>

#include "ops/handlers.hpp"
#include "ops/operation_table.hpp"

namespace pyro::ops {

ExecOptions exec_options(const Arguments& args) {
  ExecOptions exec;
  exec.timeout_seconds = args.number("timeout_seconds", exec.timeout_seconds);
  exec.max_output_bytes = args.u64("max_output_bytes", exec.max_output_bytes);
  exec.env = args.string_map("env");
  exec.cwd = args.string("cwd");
  return exec;
}

ExecOptions exec_options(const Arguments& args, const CallOptions& call) {
  ExecOptions exec = exec_options(args);
  exec.on_output = call.on_output;
  exec.cancel = call.cancel;
  return exec;
}

Handler find_handler(std::string_view operation) {
  for (auto entries : {vm_handlers(), workspace_handlers(), service_handlers()}) {
    for (const auto& entry : entries) {
      if (entry.operation == operation) return entry.handler;
    }
  }
  return nullptr;
}

ResultJson dispatch(Pyro& client, std::string_view operation, const nlohmann::json& arguments,
                        const CallOptions& options) {
  const OperationSpec* op = find_operation(operation);
  if (op == nullptr) {
    throw Error(ErrorCode::kInvalidArgument, fmt::format("call `{}`: no such operation", operation));
  }
  Arguments args(*op, arguments, std::string(operation));
  Handler handler = find_handler(op->name);
  if (handler == nullptr) {
    // A table entry without a handler is a build defect; test_operations checks for it.
    throw Error(ErrorCode::kUnimplemented,
                fmt::format("call `{}`: this build has no handler for the operation", operation));
  }
  return handler(client, args, options);
}

}  // namespace pyro::ops

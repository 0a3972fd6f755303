#include "runtime/validate.hpp"

#include <cmath>

#include <fmt/format.h>

#include "pyro/error.hpp"

namespace pyro::detail {
namespace {
[[noreturn]] void invalid(const std::string& message) {
  throw Error(ErrorCode::kInvalidArgument, message);
}
}  // namespace

void validate_vm_options(const VmOptions& vm) {
  if (vm.vcpu_count < Limits::kMinVcpuCount || vm.vcpu_count > Limits::kMaxVcpuCount) {
    invalid(fmt::format("check `vcpu_count`: {} is outside {}..{}", vm.vcpu_count,
                        Limits::kMinVcpuCount, Limits::kMaxVcpuCount));
  }
  if (vm.mem_mib < Limits::kMinMemMib || vm.mem_mib > Limits::kMaxMemMib) {
    invalid(fmt::format("check `mem_mib`: {} is outside {}..{}", vm.mem_mib, Limits::kMinMemMib,
                        Limits::kMaxMemMib));
  }
}

void validate_exec_options(const ExecOptions& exec, bool in_workspace) {
  if (!in_workspace && !exec.secret_env.empty()) {
    invalid("check `secret_env`: secrets exist only in workspaces (create one with `secrets` and use "
            "exec_workspace)");
  }
  if (!std::isfinite(exec.timeout_seconds) || exec.timeout_seconds <= 0 ||
      exec.timeout_seconds > Limits::kMaxTimeoutSeconds) {
    invalid(fmt::format("check `timeout_seconds`: {} is not in (0, {}]", exec.timeout_seconds,
                        Limits::kMaxTimeoutSeconds));
  }
  if (exec.max_output_bytes > Limits::kMaxOutputBytes) {
    invalid(fmt::format("check `max_output_bytes`: {} exceeds {}", exec.max_output_bytes,
                        Limits::kMaxOutputBytes));
  }
  for (const auto& [key, value] : exec.env) {
    if (key.empty() || key.find('=') != std::string::npos || key.find('\0') != std::string::npos) {
      invalid(fmt::format("check `env`: `{}` is not a valid variable name", key));
    }
    if (value.find('\0') != std::string::npos) {
      invalid(fmt::format("check `env`: the value of `{}` contains a NUL byte", key));
    }
  }
  if (!exec.cwd.empty() && exec.cwd.front() != '/') {
    invalid(fmt::format("check `cwd`: `{}` is not an absolute path", exec.cwd));
  }
}

void validate_command(const std::string& command) {
  if (command.empty()) invalid("check `command`: it is empty");
  if (command.find('\0') != std::string::npos) invalid("check `command`: it contains a NUL byte");
}

void validate_name(const char* what, const std::string& value) {
  if (value.empty()) invalid(fmt::format("check `{}`: it is empty", what));
}

}  // namespace pyro::detail

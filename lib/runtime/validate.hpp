// Argument checks shared by every operation; each throws Error(kInvalidArgument)
// naming the parameter, the value and the allowed range.
#pragma once

#include <string>

#include "pyro/types.hpp"

namespace pyro::detail {

void validate_vm_options(const VmOptions& vm);
/// `in_workspace`: secret_env is allowed (it is resolved by the workspace); elsewhere
/// a non-empty secret_env is kInvalidArgument.
void validate_exec_options(const ExecOptions& exec, bool in_workspace = false);
void validate_command(const std::string& command);
void validate_name(const char* what, const std::string& value);

}  // namespace pyro::detail

// Runs one of the guest-tools scripts (environment builders) as a child process,
// passing each line it writes to stderr to a progress handler and to the log.
#pragma once

#include <string>
#include <vector>

#include "pyro/types.hpp"

namespace pyro::detail {

/// Runs `argv` to completion. Throws Error(kUnavailable) when it cannot start or
/// exits non-zero, with the last lines of its stderr; `what` names the work for
/// messages ("pull environment `debian:12`").
void run_script(const std::vector<std::string>& argv, const ProgressHandler& progress,
                const std::string& what);

}  // namespace pyro::detail

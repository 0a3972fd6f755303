// Signal names accepted by service_stop and shell_signal ("TERM" or "SIGTERM").
#pragma once

#include <string>

namespace pyro::agent {

/// The signal number for `name`, or 0 when it is not allowed. `shell` also allows
/// TSTP, CONT and WINCH.
int signal_from_name(const std::string& name, bool shell);

}  // namespace pyro::agent

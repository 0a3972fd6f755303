// Looking up a program the way execvp(3) would, without running it.
#pragma once

#include <string>

namespace pyro::detail {

/// `name` itself when it contains a '/', else the first executable `<dir>/<name>`
/// for the directories in $PATH (default "/usr/local/bin:/usr/bin:/bin").
/// Returns "" when nothing executable is found.
std::string find_executable(const std::string& name);

}  // namespace pyro::detail

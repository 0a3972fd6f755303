// Directories only their owner may enter: everything under the pyro home may hold
// text a guest wrote (consoles, crash reasons, workspace files).
#pragma once

#include <string>
#include <system_error>

namespace pyro::detail {

/// Creates `path` (and missing parents) and makes it mode 0700, whatever the
/// umask or an older pyro left. Returns the first error; never throws.
std::error_code make_private_dir(const std::string& path) noexcept;

}  // namespace pyro::detail

// The host programs pyro runs besides QEMU, and the Debian packages that provide
// them, so that `pyro doctor` can tell a pip user what to install.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pyro::detail {

struct HostProgram {
  std::string_view program;     ///< a name looked up in $PATH, or an absolute path
  std::string_view package;     ///< the Debian package that provides it
  std::string_view needed_for;  ///< what fails without it
  bool required = true;         ///< false: only some environments need it
};

/// Every program pyro or its boot-set and rootfs scripts run (QEMU itself is the
/// `vmm` check of doctor).
std::span<const HostProgram> host_programs();

/// The entries of host_programs() that are not installed (not executable, not in $PATH).
std::vector<HostProgram> missing_host_programs();

/// "apt-get install <packages>" for `missing`, each package once, in table order.
std::string install_command(const std::vector<HostProgram>& missing);

}  // namespace pyro::detail

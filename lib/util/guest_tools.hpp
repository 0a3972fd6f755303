// Locating the guest tools: the static agent and the scripts that build boot sets
// and root filesystems. They ship in one layout wherever pyro is installed:
//   <dir>/pyro-agent, <dir>/scripts/build-bootset.sh, <dir>/scripts/build-rootfs.sh,
//   <dir>/initramfs/init, and the host-side <dir>/pyro-jailer (docs/jail.md)
#pragma once

#include <string>

namespace pyro::detail {

struct GuestTools {
  std::string dir;
  std::string agent;
  std::string bootset_script;
  std::string rootfs_script;
  std::string jailer;  ///< "" when the directory has none
};

/// Search order: `configured`, $PYRO_GUEST_DIR, relative to the loaded library or
/// executable (<libexecdir>/pyro of its install prefix, or <module dir>/guest in the
/// Python wheel), then, in a development build only, the build tree it was compiled
/// in. Throws kUnavailable naming every place tried.
GuestTools find_guest_tools(const std::string& configured);

}  // namespace pyro::detail

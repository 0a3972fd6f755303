// Dropping root for good: supplementary groups, gid, uid, every capability set
// (bounding, ambient, inheritable) and no_new_privs.
#pragma once

#include <optional>

namespace pyro_jailer {

/// The highest capability number of this kernel (/proc/sys/kernel/cap_last_cap);
/// read before the jail hides /proc.
int last_capability();

/// With ids: clears the bounding set (up to `last_cap`) and supplementary groups,
/// switches gid and uid, clears the remaining sets. Always: sets no_new_privs and
/// clears the ambient set. Throws std::runtime_error.
void drop_privileges(std::optional<unsigned> uid, std::optional<unsigned> gid, int last_cap);

}  // namespace pyro_jailer

// The jail's file system: a tmpfs holding only the bound host paths, at their own
// absolute paths, and a minimal /dev; it becomes the root (pivot_root).
#pragma once

#include <string>
#include <vector>

#include "jailer_options.hpp"

namespace pyro_jailer {

/// In a fresh mount namespace: mounts a tmpfs on `root`, binds every entry (read-only
/// unless writable; nosuid; device nodes keep their device), pivots into it, detaches
/// the old root and makes the tmpfs read-only. With an `owned` entry, /dev is a tmpfs
/// of its own (devices allowed, read-only once built) where those nodes are made,
/// owned by `uid`:`gid`. Throws std::runtime_error.
void enter_jail_root(const std::string& root, const std::vector<Bind>& binds, unsigned uid, unsigned gid);

}  // namespace pyro_jailer

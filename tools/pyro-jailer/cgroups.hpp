// The VMM's cgroup: created before it starts, limits written, removed after it
// exits (attached VMMs) or by a later jailer's sweep (detached ones).
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace pyro_jailer {

/// Writes the `enable` files (v2 subtree_control), creates the leaves (mkdir -p),
/// removes stale empty siblings of each leaf, then writes the `set` files.
void create_cgroups(const std::vector<std::pair<std::string, std::string>>& enable,
                    const std::vector<std::string>& leaves,
                    const std::vector<std::pair<std::string, std::string>>& set);

/// Moves `pid` into every leaf.
void join_cgroups(const std::vector<std::string>& leaves, pid_t pid);

/// Removes the leaves (once their processes are gone); errors are ignored.
void remove_cgroups(const std::vector<std::string>& leaves) noexcept;

}  // namespace pyro_jailer

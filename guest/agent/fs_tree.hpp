// Entries of the fs_* results ({path, type, size, mode, mtime, target, sha256}) and
// the directory walk behind `fs_list` and `fs_manifest`.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace pyro::agent {

/// Results must fit one 4 MiB frame: listings stop (truncated) at this many bytes.
inline constexpr size_t kMaxListingBytes = (4u << 20) - (256u << 10);

/// The entry for `rel`, whose lstat is `st` and which is `name` in directory `dirfd`
/// (used to read a symlink's target and, with `with_hash`, a regular file's SHA-256).
nlohmann::json make_entry(const std::string& rel, const struct stat& st, int dirfd,
                          const std::string& name, bool with_hash);

struct Listing {
  nlohmann::json entries = nlohmann::json::array();
  bool truncated = false;
};

struct ListOptions {
  bool recursive = false;
  bool with_hash = false;
  uint64_t max_hash_bytes = UINT64_MAX;  ///< larger files are listed without sha256
  bool skip_root_lost_found = false;
  size_t limit = 10000;
};

/// Lists `rel` beneath `root` with lstat semantics: a directory gives its children
/// (all descendants when recursive, never following symlinks), anything else gives
/// itself. Entries are sorted by path. Throws AgentError (`not_found`,
/// `invalid_argument`) prefixed with `op`.
Listing list_tree(int root, const std::string& rel, const ListOptions& options, const char* op);

}  // namespace pyro::agent

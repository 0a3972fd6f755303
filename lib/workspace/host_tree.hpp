// A directory tree on the host described entry by entry, in the same shape as the
// guest agent's `fs_manifest`, so a workspace baseline (kept on the host) and the
// live workspace can be compared field by field.
//
//   for (const TreeEntry& e : scan_tree(baseline_dir)) { nlohmann::json j = e; ... }
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "pyro/workspace.hpp"

namespace pyro::detail {

/// One file system entry. `path` is relative to the scanned root, '/'-separated.
struct TreeEntry {
  std::string path;
  std::string type;     ///< "file", "directory", "symlink" or "other"
  uint64_t size = 0;    ///< bytes for files, target length for symlinks, 0 otherwise
  uint32_t mode = 0;    ///< permission bits (07777)
  int64_t mtime = 0;    ///< seconds since the epoch
  std::string target;   ///< symlink target, verbatim; "" for other types
  std::string sha256;   ///< lowercase hex of a file's content; "" when not computed

  bool operator==(const TreeEntry&) const = default;
};

/// Every entry below `root` (not `root` itself), sorted by path, with lstat
/// semantics: symlinks are reported, never followed. Files get their sha256.
/// Throws Error: kNotFound (root missing), kInvalidArgument (root not a
/// directory), kInternal (a read failed).
std::vector<TreeEntry> scan_tree(const std::string& root);

/// JSON with the field names above; `target` only for symlinks, `sha256` only
/// when set. Reading ignores unknown fields and defaults missing ones.
void to_json(nlohmann::json& j, const TreeEntry& entry);
void from_json(const nlohmann::json& j, TreeEntry& entry);

/// The type name for an `st_mode` ("file", "directory", "symlink", "other").
const char* tree_entry_type(uint32_t st_mode);

/// The public form of an entry (WorkspaceFileEntry has no sha256).
WorkspaceFileEntry to_file_entry(const TreeEntry& entry);

}  // namespace pyro::detail

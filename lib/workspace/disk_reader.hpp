// Reading a workspace disk (a raw ext4 image whose root is /workspace) on the
// host while no VM uses it, with e2fsprogs' `debugfs` in its read-only mode:
// no mount, no root, the image is never written.
//
//   for (const TreeEntry& e : list_disk(ws_dir + "/disk.ext4", "src", true)) { ... }
//   DiskFile f = read_disk_file(ws_dir + "/disk.ext4", "/workspace/README.md", 1 << 20);
//
// Paths are relative to the image root; `/workspace` and `/workspace/...` are
// accepted too (the prefix is dropped); other absolute paths and `..` are refused.
// Symlinks are never followed. Results are undefined while a VM writes the image.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workspace/host_tree.hpp"

namespace pyro::detail {

struct DiskFile {
  std::string content;     ///< at most max_bytes bytes
  uint64_t size = 0;       ///< the file's full size
  bool truncated = false;  ///< size > max_bytes
};

/// The entries of directory `path` (all below it with `recursive`), sorted, with
/// paths relative to the image root ("src/main.c"); sha256 is left empty. The
/// image's `lost+found` is listed like any directory.
/// Throws Error: kNotFound (image or path missing), kInvalidArgument (bad path,
/// not a directory), kUnavailable (debugfs missing), kInternal (debugfs failed).
std::vector<TreeEntry> list_disk(const std::string& image, const std::string& path, bool recursive);

/// The first `max_bytes` bytes of regular file `path`.
/// Throws as list_disk; kInvalidArgument when `path` is not a regular file.
DiskFile read_disk_file(const std::string& image, const std::string& path, uint64_t max_bytes);

/// The entry for `path` itself (path "" for the root), without sha256.
/// Throws as list_disk.
TreeEntry stat_disk(const std::string& image, const std::string& path);

/// Copies the whole tree of `image` into `dest_dir` (created if missing), for
/// the offline diff of a stopped workspace. lost+found comes along.
void dump_disk(const std::string& image, const std::string& dest_dir);

}  // namespace pyro::detail

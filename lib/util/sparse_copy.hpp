// Copying large, mostly empty files (disk images) without filling their holes.
//
//   copy_file_sparse(ws_dir + "/disk.ext4", snapshot_dir + "/disk.ext4");
#pragma once

#include <cstdint>
#include <string>

namespace pyro::detail {

/// Copies `from` to `to` (replacing it), keeping holes: a reflink (FICLONE) when
/// the file system can share blocks, else only the data extents found with
/// SEEK_DATA/SEEK_HOLE (copy_file_range where possible). The copy is written
/// to `to.tmp-<random>`, synced and renamed, so `to` is never half-written.
/// The copy gets the permission bits of `from`.
/// Throws Error: kNotFound (`from` missing), kResourceExhausted (disk full),
/// kInternal (anything else), naming the path and the system's reason.
void copy_file_sparse(const std::string& from, const std::string& to);

/// Copies the data extents of `in` (an open regular file of `size` bytes) to the
/// same offsets of `out` and sets `out`'s size; no reflink, no sync. `from` and
/// `to` name the files in error messages. Throws as copy_file_sparse.
void copy_fd_sparse(int in, int out, uint64_t size, const std::string& from, const std::string& to);

}  // namespace pyro::detail

// Turning an unpacked root directory into an ext4 image the guest boots from,
// with mke2fs -d (no mount, no loop device, no root needed).
//
//   check_rootfs_usable(env_dir + "/rootfs");
//   make_ext4_image(env_dir + "/rootfs", env_dir + "/rootfs.ext4", 0, progress);
#pragma once

#include <cstdint>
#include <string>

#include "pyro/types.hpp"

namespace pyro::detail {

/// Throws Error(kInvalidArgument) unless `root_dir` has a /bin/sh (possibly via
/// symlinks, resolved inside the root) that is an executable regular file: pyro
/// runs every command with `/bin/sh -c`.
void check_rootfs_usable(const std::string& root_dir);

/// Checks the root (check_rootfs_usable), creates /workspace (0755) in it when
/// missing, then writes `image_path` (replacing it) as an ext4 filesystem labelled
/// `pyro-root` holding the tree, sized to the tree + 30% + `extra_bytes`, rounded
/// up to a MiB and at least 64 MiB. Ownership and modes of the tree are kept; the
/// root directory belongs to 0:0.
///
/// Throws Error: kInvalidArgument (no /bin/sh), kUnavailable (mke2fs missing or
/// cannot run), kResourceExhausted (disk full), kInternal (mke2fs failed otherwise).
/// Calls `progress` (may be empty) from the calling thread.
void make_ext4_image(const std::string& root_dir, const std::string& image_path, uint64_t extra_bytes,
                     const ProgressHandler& progress);

/// Writes `image_path` (replacing it) as a sparse ext4 filesystem of `size_bytes`
/// labelled `label`, holding the tree `content_dir` (root owned by 0:0), with at
/// least `min_inodes` inodes (0: mke2fs's default). Throws as make_ext4_image.
void make_ext4_filesystem(const std::string& content_dir, const std::string& image_path, uint64_t size_bytes,
                          const std::string& label, uint64_t min_inodes);

}  // namespace pyro::detail

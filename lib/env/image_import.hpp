// Unpacking a container image (an OCI image layout, as a directory or a tarball, or
// a `docker save` tarball) into a root directory: layers applied in order with
// whiteouts, links, permissions and ownership kept, and unsafe entries refused.
//
//   ImageSummary s = unpack_image("/tmp/alpine.tar", env_dir + "/rootfs", progress);
//   make_ext4_image(env_dir + "/rootfs", env_dir + "/rootfs.ext4", 0, progress);
//
// See docs/import.md for the formats and the safety rules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "pyro/types.hpp"

namespace pyro::detail {

struct ImageSummary {
  std::string format;           ///< "oci-layout" or "docker-save"
  std::string reference;        ///< e.g. "alpine:3.19"; may be empty
  std::string manifest_digest;  ///< "sha256:..." when known
  size_t layers = 0;
  uint64_t unpacked_bytes = 0;  ///< bytes of regular file content written
  std::vector<std::string> env;             ///< the image config's Env
  std::vector<std::string> entrypoint_cmd;  ///< Entrypoint followed by Cmd
  std::string working_dir;
  bool ownership_kept = true;  ///< false when not running as root: files belong to us
  size_t skipped_devices = 0;  ///< devices, fifos and sockets left out (never made on the host)
};

/// Unpacks the image at `source` (a directory holding `oci-layout`, `index.json`
/// and `blobs/`, or a tar file, compressed or not, holding an OCI layout or
/// `docker save` output) into `rootfs_dir`, which must exist and be empty.
/// Blob digests are verified. Layer entries with an absolute path, a `..`
/// component, a path through a symlink, or a hard link leaving the root are
/// refused, never silently dropped.
///
/// Throws Error: kNotFound (no `source`, or a blob it names is missing),
/// kInvalidArgument (unsupported format, malformed or unsafe content, digest
/// mismatch, no linux/amd64 image), kResourceExhausted (disk full), kInternal.
/// On failure `rootfs_dir` holds a partial tree the caller removes. A tarball is
/// unpacked into a temporary directory next to `rootfs_dir`, removed before return.
/// Calls `progress` (may be empty) from the calling thread.
ImageSummary unpack_image(const std::string& source, const std::string& rootfs_dir,
                          const ProgressHandler& progress);

}  // namespace pyro::detail

// The first content of a workspace: a host directory or an archive unpacked into
// the staging directory that becomes the workspace disk (and its baseline).
//
//   SeedStats stats = materialize_seed("project.tar.gz", staging_dir, {});
#pragma once

#include <cstdint>
#include <string>

#include "pyro/types.hpp"

namespace pyro::detail {

struct SeedLimits {
  uint64_t max_bytes = 8ull << 30;  ///< total size of regular files
  uint64_t max_entries = 200000;    ///< files + directories + symlinks
};

struct SeedStats {
  uint64_t files = 0;
  uint64_t dirs = 0;
  uint64_t symlinks = 0;
  uint64_t bytes = 0;
};

/// Fills `dest_dir` (an existing, empty directory) from `seed_path`:
/// - a directory is copied recursively: files, directories and symlinks (kept
///   verbatim, never followed); permissions and mtimes kept, ownership not;
/// - a file must be a tar (plain or compressed) or zip archive, recognised by its
///   content; it is extracted as it is (a single top-level directory is kept).
/// Archives go through the one safe extractor (env/safe_extract.hpp): entries
/// that are absolute, contain `..`, go through a symlink, are hard links leaving
/// the tree, or are devices/fifos/sockets are refused, as are special files in a
/// seed directory.
/// On failure `dest_dir` is emptied again (it is kept).
/// Throws Error: kNotFound (seed missing), kInvalidArgument (unsafe entry or
/// unknown format, naming the entry), kResourceExhausted (a limit or disk full).
/// Progress: stage "copy seed"; a directory counts bytes of files against their
/// total, an archive counts entries (total unknown). Reported about once per
/// percent (per 1000 entries), first with done 0 and last with everything done.
SeedStats materialize_seed(const std::string& seed_path, const std::string& dest_dir,
                           const SeedLimits& limits, const ProgressHandler& progress = {});

}  // namespace pyro::detail

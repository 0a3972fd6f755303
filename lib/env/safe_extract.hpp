// The one extractor for archives nobody vouches for: workspace seeds, `sync push`
// payloads (through the seeder) and image layers. Every entry is checked before
// libarchive writes it (libarchive's secure flags are a second line):
// - its path is relative, without `..`, and reached without any symlink;
// - a hard link names an already extracted regular file inside the root, also
//   reached without symlinks;
// - devices, FIFOs and sockets are never created (refused or skipped);
// - entry count and total file bytes are bounded.
//
//   SafeExtractOptions options{.error_prefix = "materialize seed `x.tar`"};
//   ExtractStats stats = safe_extract_file("x.tar", "/abs/empty/dir", options);
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_set>

namespace pyro::detail {

struct ExtractLimits {
  uint64_t max_bytes = 8ull << 30;  ///< total size of regular files
  uint64_t max_entries = 200000;    ///< every entry: files, directories, links
};

enum class SpecialFiles {
  kRefuse,  ///< a device, FIFO or socket entry fails the extraction
  kSkip,    ///< it is counted in ExtractStats::skipped_special and left out
};

struct SafeExtractOptions {
  std::string error_prefix = "extract archive";  ///< errors read "<prefix>: <cause>"
  ExtractLimits limits;
  SpecialFiles special_files = SpecialFiles::kRefuse;
  bool allow_zip = false;     ///< tar (any compression) always; zip too when set
  bool keep_modes = true;     ///< restore modes (setuid included) and mtimes; else umask and now
  bool keep_owner = false;    ///< restore uid/gid (as root only)
  bool keep_xattrs = false;
  /// Entries below a plain file replace that file (image layers turn a file of a
  /// lower layer into a directory that way); otherwise they are refused.
  bool replace_files_on_path = false;
  /// Called with each entry's normalised relative path, its raw name and the
  /// paths this extraction wrote so far, before anything is written (and after
  /// the path checks); returning true means the caller handled the entry (image
  /// whiteouts) and it is not extracted.
  std::function<bool(const std::string& rel, const std::string& name,
                     const std::unordered_set<std::string>& extracted)>
      intercept;
};

struct ExtractStats {
  uint64_t files = 0;  ///< regular files and hard links
  uint64_t dirs = 0;
  uint64_t symlinks = 0;
  uint64_t bytes = 0;  ///< of regular files
  uint64_t skipped_special = 0;
  uint64_t warnings = 0;  ///< libarchive warnings (an owner or xattr it could not set)
  std::string first_warning;
};

/// Extracts the archive at `archive_path` into the existing directory `root_dir`.
/// Throws Error: kInvalidArgument (not an archive, an unsafe entry, naming it),
/// kResourceExhausted (a limit, or the disk is full), kInternal (other I/O).
/// What was written before a failure stays: the caller owns `root_dir`.
ExtractStats safe_extract_file(const std::string& archive_path, const std::string& root_dir,
                               const SafeExtractOptions& options);

/// The same for an archive held in memory (the fuzz targets' entry point).
ExtractStats safe_extract_memory(const void* data, size_t size, const std::string& root_dir,
                                 const SafeExtractOptions& options);

}  // namespace pyro::detail

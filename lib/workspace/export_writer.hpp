// Writes an export of a workspace into the host's private staging directory
// through directory fds only: each parent is reached component by component with
// openat(O_NOFOLLOW | O_DIRECTORY) from the staging directory, and each entry is
// made with mkdirat, openat(O_CREAT | O_EXCL | O_NOFOLLOW) or symlinkat. So a
// symlink the guest listed (and the export recreated) is never followed on the
// host, nothing is created twice, and no path string is resolved twice.
#pragma once

#include <cstdint>
#include <string>

#include "util/unique_fd.hpp"

namespace pyro::detail {

class ExportWriter {
 public:
  /// `staging`: an existing private directory; the export becomes its child `name`.
  ExportWriter(const std::string& staging, std::string name);

  /// The export itself as a directory, or as one file (open for writing).
  void make_root_directory();
  UniqueFd create_root_file();

  /// Entries below the root directory; `rel` is normalised (guest_reply.hpp) and
  /// its parent was made before. Files are created 0600 (chmod with `finish_file`).
  void make_directory(const std::string& rel);
  UniqueFd create_file(const std::string& rel);
  void make_symlink(const std::string& rel, const std::string& target);

  /// Gives a written file the permission bits of `mode` (never setuid, setgid or sticky).
  void finish_file(int fd, uint32_t mode, const std::string& rel);

 private:
  // The directory that holds `rel`'s last component, and that component.
  UniqueFd open_parent(const std::string& rel, std::string& leaf);
  [[noreturn]] void fail(const char* op, const std::string& rel, int err);

  UniqueFd staging_;
  std::string name_;
};

}  // namespace pyro::detail

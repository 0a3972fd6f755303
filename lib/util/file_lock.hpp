// An exclusive flock(2) on a lock file, held for the object's lifetime. The same
// lock files are taken by the shell builders (`flock`), so C++ and scripts exclude
// each other.
#pragma once

#include <string>

#include "util/unique_fd.hpp"

namespace pyro::detail {

class FileLock {
 public:
  /// Blocks until the lock is held. Throws Error(kPermissionDenied/kInternal).
  static FileLock acquire(const std::string& path);
  /// Returns an unlocked (invalid) FileLock when another holder has it.
  static FileLock try_acquire(const std::string& path);

  bool held() const noexcept { return fd_.valid(); }

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace pyro::detail

// The workspace file system the fs_* methods work on: its root directory and the
// lock that keeps readers from seeing an `fs_apply` half done.
#pragma once

#include <mutex>
#include <shared_mutex>
#include <string>

#include "util/unique_fd.hpp"

namespace pyro::agent {

class Workspace {
 public:
  /// `root` is /workspace in a VM; host-side tests pass a temporary directory
  /// (`--workspace-root`), which counts as mounted.
  Workspace(std::string root, bool test_root) : root_(std::move(root)), test_root_(test_root) {}

  /// Opens the root (O_PATH | O_DIRECTORY). Throws AgentError `failed_precondition`
  /// when the root is not there, or in a VM when nothing is mounted on it yet (files
  /// written then would land in the VM's throwaway root file system).
  detail::UniqueFd open_root();

  /// Where `workspace_mount` mounted the disk; the root from then on.
  void set_mounted_root(std::string root);

  std::string root();

  /// Shared by readers (stat, list, read, manifest); exclusive for fs_apply and mount.
  std::shared_mutex& lock() { return lock_; }

 private:
  std::mutex mu_;  // guards the fields below
  std::string root_;
  bool test_root_;
  bool mounted_ = false;
  std::shared_mutex lock_;
};

/// Whether /proc/self/mountinfo lists a mount on `path`.
bool is_mount_point(const std::string& path);

}  // namespace pyro::agent

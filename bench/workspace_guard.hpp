// workspace_guard.hpp — deletes a benchmark's workspace on every path.
#pragma once

#include <string>
#include <utility>

#include "pyro/pyro.hpp"

namespace pyro_bench {

// Deletes the workspace when it goes out of scope, so no run leaves one behind.
class WorkspaceGuard {
 public:
  WorkspaceGuard(pyro::Pyro& client, std::string id) : client_(client), id_(std::move(id)) {}
  ~WorkspaceGuard() {
    if (id_.empty()) return;
    try {
      client_.delete_workspace(id_);
    } catch (...) {
      // Best effort: the error that got us here matters more.
    }
  }
  WorkspaceGuard(const WorkspaceGuard&) = delete;
  WorkspaceGuard& operator=(const WorkspaceGuard&) = delete;
  const std::string& id() const { return id_; }
  /// Deletes now (timed by the caller); the destructor then has nothing to do.
  void delete_now() {
    std::string id = std::move(id_);
    id_.clear();
    client_.delete_workspace(id);
  }

 private:
  pyro::Pyro& client_;
  std::string id_;
};

}  // namespace pyro_bench

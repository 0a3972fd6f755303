// One operation on one workspace: holds its lock for the operation's length, with
// the record loaded and its VMM's liveness checked (a dead VMM is recorded as a
// crash before anything else happens).
#pragma once

#include <string>

#include "util/file_lock.hpp"
#include "workspace/workspace_manager.hpp"
#include "workspace/workspace_store.hpp"
#include "workspace/workspace_vm.hpp"

namespace pyro::detail {

class WorkspaceManager::Session {
 public:
  /// Throws kNotFound (also when the workspace was deleted while we waited).
  Session(const WorkspaceContext& ctx, const WorkspaceStore& store, const std::string& id_or_name);

  WorkspaceRecord& record() noexcept { return record_; }
  const std::string& id() const noexcept { return record_.id; }
  WorkspaceVm& vm() noexcept { return vm_; }
  bool running() { return vm_.refresh(); }
  /// The agent; kFailedPrecondition when stopped, kVmCrashed when crashed.
  AgentConnection& agent() { return vm_.agent(); }
  /// Writes the record (stamping updated_at when `touched`).
  void save(bool touched = false);
  /// Turns a crash noticed during `e` into a recorded crash, then returns the error
  /// with `context` prepended.
  Error fail(const Error& e, const std::string& context);

 private:
  const WorkspaceStore& store_;
  std::string resolved_id_;
  FileLock lock_;
  WorkspaceRecord record_;
  WorkspaceVm vm_;
};

}  // namespace pyro::detail

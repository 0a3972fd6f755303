// Reading a stopped workspace's disk without parsing it on the host: a throwaway
// VM of the workspace's shape (a clone of its snapshot template, else a cold boot)
// mounts a private copy-on-write overlay of the disk at /workspace, and the host
// asks its agent, exactly as it asks a running workspace's (agent_files.hpp).
//
//   DiskInspector inspector(ctx, store, session.record());  // holds no lock itself
//   for (const TreeEntry& e : agent_manifest(inspector.agent(), "")) ...
//
// The disk is never written: the overlay (qcow2 in the inspector's own directory
// under <home>/run) takes the guest's writes, ext4's journal replay included. The
// VM is killed and the overlay removed when the object goes away, on every path;
// a process that dies meanwhile takes its VMM along (parent-death signal) and the
// next client sweeps the directory. The caller holds the workspace's lock.
#pragma once

#include <memory>
#include <string>

#include "agent/agent_connection.hpp"
#include "workspace/workspace_manager.hpp"
#include "workspace/workspace_store.hpp"

namespace pyro::detail {

class Vm;

class DiskInspector {
 public:
  /// Boots the inspector and mounts the disk. Throws kNotFound (no disk),
  /// kUnavailable, kDeadlineExceeded, kVmCrashed (the guest could not mount the
  /// disk, or died doing so), kAgentProtocol.
  DiskInspector(const WorkspaceContext& ctx, const WorkspaceStore& store, const WorkspaceRecord& record);
  ~DiskInspector();
  DiskInspector(const DiskInspector&) = delete;
  DiskInspector& operator=(const DiskInspector&) = delete;

  /// The inspector's agent, with the disk at /workspace.
  AgentConnection& agent();

 private:
  /// Removes the overlay's directory (declared first: destroyed after the VM).
  struct OverlayDir {
    std::string path;
    ~OverlayDir();
  };
  OverlayDir overlay_dir_;
  std::unique_ptr<Vm> vm_;
};

}  // namespace pyro::detail

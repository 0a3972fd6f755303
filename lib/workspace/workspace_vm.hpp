// The VMM of one workspace: booting it detached (it outlives this process),
// finding it again from the record, reaching its agent, pausing and stopping it.
// Callers hold the workspace's lock; this class keeps the record in step but
// never saves it.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "agent/agent_connection.hpp"
#include "backend/backend.hpp"
#include "runtime/snapshot_templates.hpp"
#include "workspace/workspace_manager.hpp"
#include "workspace/workspace_store.hpp"

namespace pyro::detail {

/// The snapshot template of workspace VMs of `record`'s shape (booted with a blank
/// disk of its size), created by a cold boot when missing. Nothing when there is
/// none and it could not be made (logged): the caller boots cold.
std::optional<SnapshotTemplate> ensure_workspace_template(const WorkspaceContext& ctx, const WorkspaceRecord& record,
                                                          const BootSet& boot, Accelerator accel);

class WorkspaceVm {
 public:
  WorkspaceVm(const WorkspaceContext& ctx, const WorkspaceStore& store, WorkspaceRecord& record);
  ~WorkspaceVm();

  /// True when the record says running and the VMM is alive. A VMM that died
  /// turns the record into "crashed" with what its logs say.
  bool refresh();

  /// Boots the workspace from its disk and mounts /workspace; one retry on a hung
  /// or crashed boot. On success the record is "running". Throws kUnavailable,
  /// kDeadlineExceeded, kVmCrashed, kAgentProtocol.
  void start();

  /// The agent of the running VM, connected on first use. Throws
  /// kFailedPrecondition (not running), kVmCrashed, kDeadlineExceeded.
  AgentConnection& agent();

  /// Flushes the guest's file systems (agent `sync`); best effort when `strict` is
  /// false. `final` (before a stop): the workspace is also remounted read-only after
  /// the guest's processes end, so the disk is left with a clean journal.
  void sync(bool strict, bool final = false);

  /// Guest vCPUs off/on, for a consistent copy of the disk.
  void pause();
  void resume();

  /// Forwards 127.0.0.1:`host_port` to `guest_port` (Machine::add_port_forward).
  void add_port_forward(uint32_t host_port, uint32_t guest_port);
  void remove_port_forward(uint32_t host_port);

  /// Syncs (best effort), ends the VMM, record "stopped". Idempotent.
  void stop() noexcept;

  /// Where the VMM's sockets and logs are.
  std::string run_dir() const { return store_.run_dir(record_.id); }

 private:
  /// agent() with its own deadline for connecting and the hello.
  AgentConnection& agent(Deadline deadline);
  MachineSpec machine_spec(const BootSet& boot, Accelerator accel, std::string& device);
  void connect_agent(const std::string& socket, Deadline deadline);
  /// Mounts /workspace, then records the VMM as running and lets it outlive us.
  void mark_running(Accelerator accel, Clock::time_point started, const char* mode, const std::string& device,
                    Deadline deadline);
  void boot_once(const BootSet& boot, Accelerator accel);
  void clone_once(const BootSet& boot, Accelerator accel, const SnapshotTemplate& tmpl);
  void discard_machine() noexcept;
  std::string death_description();
  /// `text` (guest-derived) with the workspace's secrets redacted.
  std::string redact_guest_text(const std::string& text) const;
  Machine& machine();

  const WorkspaceContext& ctx_;
  const WorkspaceStore& store_;
  WorkspaceRecord& record_;
  std::unique_ptr<Machine> machine_;
  std::unique_ptr<AgentConnection> agent_;
};

}  // namespace pyro::detail

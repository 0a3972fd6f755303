// One VM owned by a Pyro client: its spec, its VMM process and its agent
// connection. With snapshots on, a VM starts as a clone of its environment's
// snapshot template (created on first use), else or on any clone failure it boots
// cold. A cold boot retries once (TCG boots can hang); stop() always leaves no
// process and no run directory behind.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent_connection.hpp"
#include "backend/backend.hpp"
#include "pyro/types.hpp"
#include "runtime/snapshot_templates.hpp"

namespace pyro::detail {

/// Finds or creates the snapshot template a VM clones (nothing: boot cold).
using TemplateSource = std::function<std::optional<SnapshotTemplate>(Accelerator accel)>;

class Vm {
 public:
  /// `snapshots`: start from a snapshot template when `boot.environment_sha256` is known.
  /// `extra_drives` follow the root filesystem's drive (a workspace template's disk).
  Vm(VmInfo info, BootSet boot, std::string home, bool snapshots = false, std::vector<Drive> extra_drives = {});
  ~Vm();  ///< stop()

  /// Clones the template `source` gives instead of the environment's own (whose VMs
  /// have no extra drives): a VM with a workspace disk clones a workspace template.
  /// Call before start().
  void set_template_source(TemplateSource source) { template_source_ = std::move(source); }

  /// Boots on `backend` with `accel`; `boot_timeout` bounds each of the two attempts.
  /// A clone failure is never an error: it is logged and a cold boot follows.
  /// Requires state created. Throws kUnavailable, kDeadlineExceeded, kVmCrashed,
  /// kAgentProtocol.
  void start(Backend& backend, Accelerator accel, std::chrono::milliseconds boot_timeout);

  /// Runs one command through the agent. Requires state running.
  ExecResult exec(const std::string& command, const ExecOptions& options);

  /// Cold boots with the RAM in `dir`/ram, saves the device state to `dir`/state and
  /// ends the VMM: a snapshot template (snapshot_templates.hpp). Requires state created.
  void build_template(Backend& backend, Accelerator accel, std::chrono::milliseconds timeout,
                      const std::string& dir);

  /// Round trip of an agent no-op (bench only).
  void ping();

  /// The agent of the running VM. Throws kFailedPrecondition when not running.
  AgentConnection& agent();

  /// Kills the VMM (QMP quit first), removes the run directory. Idempotent.
  void stop() noexcept;

  /// Kills the VMM at once without taking the operation lock, so a start or exec
  /// in progress fails fast with kCancelled. Follow with stop() under the lock.
  void cancel() noexcept;

  /// A snapshot of the VM's info; notices a VMM that died (state crashed).
  VmInfo info();

  std::mutex& op_mutex() noexcept { return op_mutex_; }  ///< serialises start/exec/stop

  /// How the last start went: "clone" (restored from a snapshot template), "cold"
  /// (booted), or "" before a start.
  std::string start_mode();

 private:
  MachineSpec machine_spec(Accelerator accel) const;
  /// Launches a VMM on `spec` (adding run dir and agent socket) and returns the
  /// agent connection's accepted fd.
  UniqueFd launch(Backend& backend, MachineSpec spec, Deadline deadline);
  void boot_once(Backend& backend, Accelerator accel, std::chrono::milliseconds timeout,
                 const std::optional<MemoryFile>& memory = std::nullopt);
  /// True once started from a template; false after a failure that should fall back.
  bool start_from_template(Backend& backend, Accelerator accel, std::chrono::milliseconds timeout);
  void clone_once(Backend& backend, Accelerator accel, std::chrono::milliseconds timeout,
                  const SnapshotTemplate& tmpl);
  void mark_running(Accelerator accel, Clock::time_point started, const char* mode);
  bool cancelled();
  void teardown() noexcept;
  std::string death_description();

  std::mutex op_mutex_;
  std::mutex info_mutex_;
  VmInfo info_;
  BootSet boot_;
  std::string home_;
  bool snapshots_;
  std::vector<Drive> extra_drives_;
  TemplateSource template_source_;
  std::string run_dir_;
  bool cancelled_ = false;  // guarded by info_mutex_
  std::string start_mode_;  // guarded by info_mutex_
  Vm* builder_ = nullptr;   // guarded by info_mutex_: the VM creating our template
  std::unique_ptr<AgentListener> listener_;
  std::unique_ptr<Machine> machine_;
  std::unique_ptr<AgentConnection> agent_;
};

}  // namespace pyro::detail

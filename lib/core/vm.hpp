// One VM owned by a Pyro client: its spec, its VMM process and its agent
// connection. Boot retries once (TCG boots can hang); stop() always leaves no
// process and no run directory behind.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "agent/agent_connection.hpp"
#include "backend/backend.hpp"
#include "pyro/types.hpp"

namespace pyro::detail {

class Vm {
 public:
  Vm(VmInfo info, BootSet boot, std::string home);
  ~Vm();  ///< stop()

  /// Boots on `backend` with `accel`; `boot_timeout` bounds each of the two attempts.
  /// Requires state created. Throws kUnavailable, kDeadlineExceeded, kVmCrashed,
  /// kAgentProtocol.
  void start(Backend& backend, Accelerator accel, std::chrono::milliseconds boot_timeout);

  /// Runs one command through the agent. Requires state running.
  ExecResult exec(const std::string& command, const ExecOptions& options);

  /// Round trip of an agent no-op (bench only).
  void ping();

  /// Kills the VMM (QMP quit first), removes the run directory. Idempotent.
  void stop() noexcept;

  /// Kills the VMM at once without taking the operation lock, so a start or exec
  /// in progress fails fast with kCancelled. Follow with stop() under the lock.
  void cancel() noexcept;

  /// A snapshot of the VM's info; notices a VMM that died (state crashed).
  VmInfo info();

  std::mutex& op_mutex() noexcept { return op_mutex_; }  ///< serialises start/exec/stop

 private:
  void boot_once(Backend& backend, Accelerator accel, std::chrono::milliseconds timeout);
  void teardown() noexcept;
  std::string death_description();

  std::mutex op_mutex_;
  std::mutex info_mutex_;
  VmInfo info_;
  BootSet boot_;
  std::string home_;
  std::string run_dir_;
  bool cancelled_ = false;  // guarded by info_mutex_
  std::unique_ptr<AgentListener> listener_;
  std::unique_ptr<Machine> machine_;
  std::unique_ptr<AgentConnection> agent_;
};

}  // namespace pyro::detail

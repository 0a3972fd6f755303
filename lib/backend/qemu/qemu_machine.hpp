// One running QEMU process: liveness, exit reason, logs, QMP, stop and kill.
#pragma once

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "backend/backend.hpp"
#include "backend/qemu/qmp_client.hpp"
#include "util/process_handle.hpp"

namespace pyro::detail {

class QemuMachine final : public Machine {
 public:
  /// Takes over a QEMU process whose files live in `run_dir`; `owned`: the
  /// destructor kills it (until release()).
  QemuMachine(std::unique_ptr<ProcessHandle> process, std::string run_dir, bool owned = true);
  ~QemuMachine() override;

  /// Connects to QMP, giving up when QEMU exits first or at `deadline`.
  void connect_qmp(Deadline deadline);

  /// Runs one QMP command; thread-safe (commands are serialized). Throws
  /// Error(kUnavailable) when QMP is not connected, and what QmpClient::execute throws.
  nlohmann::json qmp_execute(const std::string& command, const nlohmann::json& arguments,
                             Deadline deadline);

  /// Waits until QEMU exits (and reaps it) or `deadline` passes; true once it exited.
  bool wait_exit(Deadline deadline) { return child_->wait_until(deadline); }

  int64_t pid() const override { return vmm_pid_ > 0 ? vmm_pid_ : child_->pid(); }
  /// The VMM's pid when the process we started (the jailer) is not QEMU itself.
  void set_vmm_pid(int64_t pid) { vmm_pid_ = pid; }
  MachineRef ref() const override;
  void release() override { owned_ = false; }
  void pause(std::chrono::milliseconds timeout) override;
  void resume(std::chrono::milliseconds timeout) override;
  void nudge(std::chrono::milliseconds timeout) override;
  bool alive() override { return child_->alive(); }
  std::string exit_description() override;
  std::string console_tail(size_t max_bytes) override;
  void stop(std::chrono::milliseconds grace) override;
  void kill() override;
  void save_state(const std::string& state_path, std::chrono::milliseconds timeout) override;
  void load_state(const std::string& state_path, std::chrono::milliseconds timeout) override;
  void add_port_forward(uint32_t host_port, uint32_t guest_port, std::chrono::milliseconds timeout) override;
  void remove_port_forward(uint32_t host_port, std::chrono::milliseconds timeout) override;

  /// The last `max_bytes` of QEMU's stdout and stderr.
  std::string log_tail(size_t max_bytes) const;

 private:
  std::string run_path(std::string_view name) const;
  /// One HMP command through QMP `human-monitor-command`; returns its output text.
  std::string monitor_command(const std::string& command, Deadline deadline);
  /// Hands `fd` to QEMU under `name` (QMP `getfd`), for an `fd:` migration URI.
  void pass_fd(const char* name, int fd, Deadline deadline);

  std::unique_ptr<ProcessHandle> child_;
  const std::string run_dir_;
  bool owned_;
  int64_t vmm_pid_ = 0;
  std::mutex qmp_mu_;
  std::optional<QmpClient> qmp_;
};

}  // namespace pyro::detail

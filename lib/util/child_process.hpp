// A child process started from one process-lifetime spawner thread, in its own
// process group, killed by the kernel when this process dies, and reaped once.
//
//   auto child = ChildProcess::spawn({.argv = {"/usr/bin/qemu-system-x86_64", "-version"},
//                                     .output_fd = log_fd});
//   if (!child->wait_until(deadline_after(1s))) child->kill();
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "util/deadline.hpp"
#include "util/process_handle.hpp"
#include "util/unique_fd.hpp"

namespace pyro::detail {

struct SpawnOptions {
  std::vector<std::string> argv;  ///< argv[0] is the executable: a path, not searched in PATH
  int output_fd = -1;             ///< receives stdout and stderr (borrowed); -1: /dev/null
  bool new_process_group = true;  ///< setpgid(0, 0); kill() then signals the whole group
  bool die_with_parent = true;    ///< PR_SET_PDEATHSIG(SIGKILL), bound to the spawner thread
};

/// Thread-safe. The destructor SIGKILLs and reaps a child that still runs.
class ChildProcess final : public ProcessHandle {
 public:
  /// Starts the process; returns once it has exec'd. Throws Error(kUnavailable)
  /// when fork or exec fails.
  static std::unique_ptr<ChildProcess> spawn(const SpawnOptions& options);

  ~ChildProcess() override;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  int64_t pid() const noexcept override { return pid_; }
  /// Non-blocking; reaps the process (once) when it has exited.
  bool alive() override;
  /// Waits until the process exits or `deadline` passes; true once it is reaped.
  bool wait_until(Deadline deadline) override;
  /// SIGKILLs the process (and its group) unless already reaped, then reaps it.
  void kill() override;
  /// "exited with status N" / "killed by signal N"; empty while running.
  std::string exit_description() override;

 private:
  ChildProcess(pid_t pid, bool group, UniqueFd pidfd);
  void reap_if_exited_locked();
  void record_status_locked(int status);
  void wait_locked();

  const pid_t pid_;
  const bool group_;
  UniqueFd pidfd_;  // readable once the process exits; may be invalid (old kernel)
  std::mutex mu_;
  bool reaped_ = false;
  std::string exit_description_;
};

}  // namespace pyro::detail

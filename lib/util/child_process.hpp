// A child process started from one process-lifetime spawner thread, in its own
// process group, killed by the kernel when this process dies, and reaped once.
//
//   auto child = ChildProcess::spawn({.argv = {"/usr/bin/qemu-system-x86_64", "-version"},
//                                     .output_fd = log_fd});
//   if (!child->wait_until(deadline_after(1s))) child->kill();
//
// run_tool() is the one way to run a host tool to completion (mke2fs, the guest-tools
// builder scripts): bounded stderr, a deadline, the process group killed on every path.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
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
  int stderr_fd = -1;             ///< receives stderr instead (borrowed); -1: as output_fd
  std::vector<std::string> env;   ///< "NAME=value" set on top of this process's environment
  std::string cwd;                ///< working directory; "": this process's
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
  /// The exit status once reaped after a normal exit; nullopt while running, after a
  /// signal, or when the status is unknown.
  std::optional<int> exit_code();
  /// A descriptor that polls readable once the process has exited (a dup of its
  /// pidfd, the caller's to close); invalid on kernels without pidfd.
  UniqueFd exit_fd();

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
  std::optional<int> exit_code_;
};

struct ToolRun {
  std::vector<std::string> argv;  ///< argv[0]: the tool's path
  std::vector<std::string> env;   ///< "NAME=value" set on top of this process's environment
  std::string cwd;                ///< "": this process's
  Deadline deadline = Deadline::max();
  size_t stderr_tail_bytes = 4096;  ///< how much of the end of stderr is kept
  /// Called with each line the tool writes to stderr (lines cut at 4 KiB). May throw:
  /// the tool is then killed and the exception passes through.
  std::function<void(std::string_view line)> on_stderr_line;
};

struct ToolResult {
  std::optional<int> exit_code;  ///< nullopt when killed (by a signal or at the deadline)
  bool timed_out = false;        ///< killed at the deadline
  std::string exit_description;  ///< "exited with status 1", "killed by signal 9"
  std::string stderr_tail;       ///< the last `stderr_tail_bytes` of stderr

  bool ok() const { return !timed_out && exit_code == 0; }
  /// Why it failed, for "<action> <object>: <cause>" messages: "`mke2fs` exited with
  /// status 1: <stderr tail>", "`x` did not finish in time".
  std::string failure(std::string_view tool) const;
};

/// Runs a tool to completion: stdin and stdout are /dev/null, stderr is read.
/// On the deadline, or when on_stderr_line throws,
/// the tool's process group is killed. Throws Error(kUnavailable) when it cannot start.
ToolResult run_tool(const ToolRun& run);

}  // namespace pyro::detail

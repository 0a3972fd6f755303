// A process that is not our child, known by pid and start time (so a recycled pid
// is never mistaken for it). Used for workspace VMMs, which daemonize so they
// outlive the process that started them; any later process can watch or kill them.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "util/process_handle.hpp"

namespace pyro::detail {

/// The start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22),
/// or nothing when there is no such process or it is a zombie.
std::optional<uint64_t> process_start_time(int64_t pid);

class DaemonProcess final : public ProcessHandle {
 public:
  DaemonProcess(int64_t pid, uint64_t start_time) : pid_(pid), start_time_(start_time) {}

  int64_t pid() const noexcept override { return pid_; }
  uint64_t start_time() const noexcept { return start_time_; }
  bool alive() override;
  bool wait_until(Deadline deadline) override;
  /// SIGKILL, then waits (up to 10 s) until the process is gone or a zombie.
  void kill() override;
  /// SIGTERM: QEMU exits cleanly on it.
  void terminate();
  std::string exit_description() override;

 private:
  const int64_t pid_;
  const uint64_t start_time_;
};

}  // namespace pyro::detail

// What the VMM code needs from a process, whether it is our child (ChildProcess)
// or a daemon we only know by pid (DaemonProcess: a workspace's VMM that outlives
// the process which started it).
#pragma once

#include <cstdint>
#include <string>

#include "util/deadline.hpp"

namespace pyro::detail {

class ProcessHandle {
 public:
  virtual ~ProcessHandle() = default;
  virtual int64_t pid() const noexcept = 0;
  /// Non-blocking liveness check.
  virtual bool alive() = 0;
  /// Waits until the process is gone or `deadline` passes; true once gone.
  virtual bool wait_until(Deadline deadline) = 0;
  /// SIGKILLs the process and waits until it is gone.
  virtual void kill() = 0;
  /// How it ended ("exited with status 1", "killed by signal 9", "exited"); empty while alive.
  virtual std::string exit_description() = 0;
};

}  // namespace pyro::detail

// Clean interruption: while an InterruptGuard lives, SIGINT, SIGTERM and SIGHUP
// do not kill the process; a watcher thread cancels the command in flight (its
// CancelToken: the guest kills its process group) and, for ephemeral VMs, deletes
// the client's VMs, so the run in progress ends and no VM, run directory or guest
// process is left behind. A second signal exits at once (the VMM still dies with
// the process).
#pragma once

#include <signal.h>

#include <atomic>
#include <thread>

#include "pyro/client.hpp"

namespace pyro_cli {

/// Thrown once the interrupted operation has returned; main exits 128+signal.
struct Interrupted {
  int signal = 0;
};

class InterruptGuard {
 public:
  /// Blocks the signals in the calling thread (threads it starts later inherit
  /// the mask) and starts the watcher. Create it before calling the client.
  /// `cancel`: cancelled on the first signal (may be null). `delete_vms`: also
  /// delete the client's VMs (false for workspaces, which must outlive the CLI).
  explicit InterruptGuard(pyro::Pyro& client, const pyro::CancelToken* cancel = nullptr, bool delete_vms = true);
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  /// Throws Interrupted if a signal arrived; call after the operation returned or threw.
  void check() const;

 private:
  void watch();
  void delete_vms();

  pyro::Pyro& client_;
  const pyro::CancelToken* cancel_;
  bool delete_vms_;
  sigset_t signals_;
  std::atomic<bool> done_{false};
  std::atomic<int> signal_{0};
  int wake_[2] = {-1, -1};  ///< closing [1] ends the watcher's wait
  std::thread watcher_;
  std::thread deleter_;  ///< started by the watcher on the first signal
};

}  // namespace pyro_cli

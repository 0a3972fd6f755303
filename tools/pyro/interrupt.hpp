// Clean interruption: while an InterruptGuard lives, SIGINT, SIGTERM and SIGHUP
// do not kill the process; a watcher thread deletes the client's VMs instead,
// so the run in progress ends and no VM or run directory is left behind. A
// second signal exits at once (the VMM still dies with the process).
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
  explicit InterruptGuard(pyro::Pyro& client);
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  /// Throws Interrupted if a signal arrived; call after the operation returned or threw.
  void check() const;

 private:
  void watch();
  void delete_vms();

  pyro::Pyro& client_;
  sigset_t signals_;
  std::atomic<bool> done_{false};
  std::atomic<int> signal_{0};
  std::thread watcher_;
  std::thread deleter_;  ///< started by the watcher on the first signal
};

}  // namespace pyro_cli

#include "interrupt.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace pyro_cli {
namespace {

// SIGINT, SIGTERM and SIGHUP, except those inherited as ignored (`nohup`, a
// background job): blocked signals would otherwise still reach sigtimedwait.
sigset_t watched_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction current {};
    if (sigaction(sig, nullptr, &current) == 0 && current.sa_handler != SIG_IGN) {
      sigaddset(&set, sig);
    }
  }
  return set;
}

}  // namespace

InterruptGuard::InterruptGuard(pyro::Pyro& client, const pyro::CancelToken* cancel, bool delete_vms)
    : client_(client), cancel_(cancel), delete_vms_(delete_vms), signals_(watched_signals()) {
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
  watcher_ = std::thread([this] { watch(); });
}

InterruptGuard::~InterruptGuard() {
  done_ = true;
  watcher_.join();
  if (deleter_.joinable()) deleter_.join();
  // The signals stay blocked: the process is about to exit, and check() has
  // already reported the first one.
}

void InterruptGuard::watch() {
  const timespec tick = {0, 100'000'000};
  while (!done_) {
    int sig = sigtimedwait(&signals_, nullptr, &tick);
    if (sig <= 0) continue;
    if (signal_ != 0) std::_Exit(128 + sig);  // a second signal: stop waiting
    signal_ = sig;
    if (cancel_ != nullptr) cancel_->cancel();  // the guest kills the command's process group
    static constexpr char kDelete[] = "pyro: interrupted: deleting the VM (signal again to quit now)\n";
    static constexpr char kCancel[] = "pyro: interrupted: cancelling the command (signal again to quit now)\n";
    if (delete_vms_) {
      std::fwrite(kDelete, 1, sizeof kDelete - 1, stderr);
    } else {
      std::fwrite(kCancel, 1, sizeof kCancel - 1, stderr);
      continue;
    }
    // Deleting waits for the command in flight, so it runs apart from this
    // thread, which must stay free to see a second signal.
    deleter_ = std::thread([this] { delete_vms(); });
  }
}

void InterruptGuard::delete_vms() {
  // Repeat until the operation returns: a VM may still be being created when
  // the signal arrives.
  const timespec tick = {0, 100'000'000};
  while (!done_) {
    try {
      for (const auto& vm : client_.list_vms()) {
        try {
          client_.delete_vm(vm.vm_id);
        } catch (...) {  // already gone, or deleted by the operation itself
        }
      }
    } catch (...) {
    }
    nanosleep(&tick, nullptr);
  }
}

void InterruptGuard::check() const {
  if (signal_ != 0) throw Interrupted{signal_};
}

}  // namespace pyro_cli

#include "interrupt.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
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
  if (::pipe2(wake_, O_CLOEXEC) != 0) wake_[0] = wake_[1] = -1;  // the watcher then polls
  watcher_ = std::thread([this] { watch(); });
}

InterruptGuard::~InterruptGuard() {
  done_ = true;
  // Wakes the watcher at once: every CLI command that runs a guest command ends here.
  if (wake_[1] >= 0) ::close(wake_[1]);
  watcher_.join();
  if (wake_[0] >= 0) ::close(wake_[0]);
  if (deleter_.joinable()) deleter_.join();
  // The signals stay blocked: the process is about to exit, and check() has
  // already reported the first one.
}

void InterruptGuard::watch() {
  // The signals arrive on a signalfd, and the guard's end on the wake pipe (closed);
  // without either, a 100 ms tick of sigtimedwait.
  const int sfd = wake_[0] >= 0 ? ::signalfd(-1, &signals_, SFD_CLOEXEC) : -1;
  const timespec tick = {0, 100'000'000};
  while (!done_) {
    int sig = 0;
    if (sfd >= 0) {
      pollfd fds[2] = {{sfd, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0 || fds[1].revents != 0) continue;  // EINTR, or the guard ends
      signalfd_siginfo info{};
      if (::read(sfd, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) continue;
      sig = static_cast<int>(info.ssi_signo);
    } else {
      sig = sigtimedwait(&signals_, nullptr, &tick);
    }
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
  if (sfd >= 0) ::close(sfd);
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

// A single thread blocked in waitpid(-1): delivers statuses of exec children and
// silently reaps everything else (orphans re-parented to PID 1).
#include "reaper.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace pyro::agent {

ExitWatch::ExitWatch() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "create eventfd");
}

ExitWatch::~ExitWatch() { ::close(fd_); }

void ExitWatch::deliver(int status) noexcept {
  status_ = status;
  done_.store(true);
  uint64_t one = 1;
  ssize_t n = ::write(fd_, &one, sizeof one);
  (void)n;
}

bool ExitWatch::wait(int timeout_ms) const noexcept {
  if (done()) return true;
  pollfd p{fd_, POLLIN, 0};
  while (::poll(&p, 1, timeout_ms) < 0 && errno == EINTR) {
  }
  return done();
}

void Reaper::start() {
  std::thread([this] { run(); }).detach();
}

void Reaper::run() noexcept {
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, 0);
    if (pid > 0) {
      // Taking the lock also waits out a fork_watched() that has not registered yet.
      std::lock_guard lock(mu_);
      auto it = watched_.find(pid);
      if (it != watched_.end()) {
        it->second->deliver(status);
        watched_.erase(it);
      }
      continue;
    }
    if (errno == EINTR) continue;
    // ECHILD: nothing to reap until the next fork.
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return may_have_children_; });
    may_have_children_ = false;
  }
}

void Reaper::kill_group(pid_t pid, int sig) noexcept {
  std::lock_guard lock(mu_);
  if (watched_.count(pid) == 0) return;
  ::kill(-pid, sig);
  ::kill(pid, sig);
}

void Reaper::kill_all() noexcept {
  std::lock_guard lock(mu_);
  for (const auto& [pid, watch] : watched_) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  }
}

}  // namespace pyro::agent

// The only place that calls waitpid. As PID 1 the agent inherits every orphan, so
// one thread reaps all children and hands each exit status to the exec that owns
// the pid; the others are reaped silently.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace pyro::agent {

/// Where the reaper delivers one child's wait status. `fd` (an eventfd) becomes
/// readable once `status` is set, so an exec can poll it next to its pipes.
class ExitWatch {
 public:
  ExitWatch();  // throws std::system_error when no eventfd is available
  ~ExitWatch();
  ExitWatch(const ExitWatch&) = delete;
  ExitWatch& operator=(const ExitWatch&) = delete;

  int fd() const noexcept { return fd_; }
  bool done() const noexcept { return done_.load(); }
  /// The raw wait status; valid once done().
  int status() const noexcept { return status_; }
  /// Blocks up to `timeout_ms` (-1: forever) for the status. Returns done().
  bool wait(int timeout_ms) const noexcept;

 private:
  friend class Reaper;
  void deliver(int status) noexcept;

  int fd_;
  int status_ = 0;
  std::atomic<bool> done_{false};
};

class Reaper {
 public:
  Reaper() = default;
  Reaper(const Reaper&) = delete;
  Reaper& operator=(const Reaper&) = delete;

  /// Starts the reaping thread (detached: it lives as long as the process).
  void start();

  /// Forks with the registry locked, so the reaper cannot see the child's exit
  /// before the pid is registered to `watch`. In the child, `in_child()` runs and
  /// must never return (it may only use async-signal-safe calls). Returns the pid,
  /// or -1 with errno set.
  template <class F>
  pid_t fork_watched(const std::shared_ptr<ExitWatch>& watch, F&& in_child) {
    std::lock_guard lock(mu_);
    pid_t pid = ::fork();
    if (pid == 0) {
      in_child();
      ::_exit(127);
    }
    if (pid > 0) {
      watched_[pid] = watch;
      may_have_children_ = true;
      cv_.notify_one();
    }
    return pid;
  }

  /// Sends `sig` to the process group led by `pid` and to `pid`, unless `pid` was
  /// reaped already (checked under the lock, so a recycled pid is never hit).
  void kill_group(pid_t pid, int sig) noexcept;

  /// SIGKILLs the process group of every watched child (used before the agent exits).
  void kill_all() noexcept;

 private:
  void run() noexcept;

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<pid_t, std::shared_ptr<ExitWatch>> watched_;
  bool may_have_children_ = true;  // children of /init may predate us
};

}  // namespace pyro::agent

#include "util/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <cerrno>
#include <cstring>
#include <thread>
#include <fmt/format.h>

#include "pyro/error.hpp"
#include "util/spawner_thread.hpp"

namespace pyro::detail {
namespace {

namespace bp = boost::process;

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

// Points `target` at `fd` for exec; async-signal-safe.
bool redirect(int fd, int target) {
  if (fd == target) return ::fcntl(fd, F_SETFD, 0) == 0;  // keep it across exec
  return ::dup2(fd, target) == target;
}

// Runs in the child between fork and exec: async-signal-safe calls only.
template <typename Executor>
void setup_child(Executor& exec, const SpawnOptions& options, pid_t parent, int null_fd) {
  if (options.die_with_parent) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // The parent may have died before prctl: then nobody would ever kill us.
    if (::getppid() != parent) ::_exit(127);
  }
  if (options.new_process_group) ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);  // embedders (Python) ignore it; exec keeps ignored signals
  int out = options.output_fd >= 0 ? options.output_fd : null_fd;
  if (!redirect(null_fd, 0) || !redirect(out, 1) || !redirect(out, 2)) {
    exec.set_error(std::error_code(errno, std::system_category()), "dup2");
    ::_exit(127);
  }
  // No other descriptor of the embedding process leaks into the child. CLOEXEC
  // rather than close: Boost's exec-error pipe must stay open until exec.
  ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
  return fmt::format("ended with wait status {}", status);
}

}  // namespace

std::unique_ptr<ChildProcess> ChildProcess::spawn(const SpawnOptions& options) {
  if (options.argv.empty() || options.argv[0].empty()) {
    throw Error(ErrorCode::kInvalidArgument, "spawn process: empty command line");
  }
  const std::string& exe = options.argv[0];
  std::vector<std::string> args(options.argv.begin() + 1, options.argv.end());
  pid_t pid = -1;
  UniqueFd pidfd;
  std::error_code ec;
  run_on_spawner_thread([&] {
    UniqueFd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!null_fd) {
      ec = std::error_code(errno, std::system_category());
      return;
    }
    const pid_t parent = ::getpid();
    const int null_raw = null_fd.get();
    pid_t failed_pid = -1;
    bp::child child(bp::exe = exe, bp::args = args,
                    bp::extend::on_exec_setup =
                        [&options, parent, null_raw](auto& exec) {
                          setup_child(exec, options, parent, null_raw);
                        },
                    bp::extend::on_error =
                        [&failed_pid](auto& exec, const std::error_code&) { failed_pid = exec.pid; },
                    ec);
    if (ec || !child.valid()) {
      // Boost leaves a child whose exec failed as a zombie.
      if (failed_pid > 0) ::waitpid(failed_pid, nullptr, 0);
      if (!ec) ec = std::make_error_code(std::errc::no_child_process);
      return;
    }
    pid = child.id();
    // Opened before anyone can reap the child, so it cannot refer to a reused pid.
    pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    child.detach();  // ChildProcess reaps; bp::child would otherwise terminate it
  });
  if (ec || pid <= 0) {
    throw Error(ErrorCode::kUnavailable,
                fmt::format("start `{}`: {}", exe, ec ? ec.message() : "fork failed"));
  }
  return std::unique_ptr<ChildProcess>(
      new ChildProcess(pid, options.new_process_group, std::move(pidfd)));
}

ChildProcess::ChildProcess(pid_t pid, bool group, UniqueFd pidfd)
    : pid_(pid), group_(group), pidfd_(std::move(pidfd)) {}

ChildProcess::~ChildProcess() { kill(); }

void ChildProcess::record_status_locked(int status) {
  reaped_ = true;
  exit_description_ = describe_status(status);
  pidfd_.reset();
}

// Blocking reap of a process known to have exited (or just SIGKILLed).
void ChildProcess::wait_locked() {
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    record_status_locked(status);
  } else {
    reaped_ = true;
    exit_description_ = "exited with unknown status";
    pidfd_.reset();
  }
}

void ChildProcess::reap_if_exited_locked() {
  if (reaped_) return;
  siginfo_t info;
  std::memset(&info, 0, sizeof(info));
  // WNOWAIT leaves the zombie in place, so the pid (and its group id) cannot be
  // reused while stragglers in the group are killed.
  int rc;
  do {
    rc = ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    // ECHILD: someone else reaped it (SIGCHLD ignored, or a waitpid(-1) elsewhere).
    reaped_ = true;
    exit_description_ = "exited with unknown status";
    pidfd_.reset();
    return;
  }
  if (info.si_pid == 0) return;  // still running
  if (group_) ::killpg(pid_, SIGKILL);
  wait_locked();
}

bool ChildProcess::alive() {
  std::lock_guard lock(mu_);
  reap_if_exited_locked();
  return !reaped_;
}

bool ChildProcess::wait_until(Deadline deadline) {
  for (;;) {
    int pidfd = -1;
    {
      std::lock_guard lock(mu_);
      reap_if_exited_locked();
      if (reaped_) return true;
      pidfd = ::dup(pidfd_.get());  // -1 when there is no pidfd; survives a concurrent reap
    }
    int timeout = poll_timeout_ms(deadline);
    if (timeout == 0 && Clock::now() >= deadline) {
      if (pidfd >= 0) ::close(pidfd);
      std::lock_guard lock(mu_);
      reap_if_exited_locked();
      return reaped_;
    }
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      ::poll(&p, 1, timeout);
      ::close(pidfd);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(timeout, 5)));
    }
  }
}

void ChildProcess::kill() {
  std::lock_guard lock(mu_);
  reap_if_exited_locked();
  if (reaped_) return;
  if (group_) {
    ::killpg(pid_, SIGKILL);
  } else {
    ::kill(pid_, SIGKILL);
  }
  wait_locked();
}

std::string ChildProcess::exit_description() {
  std::lock_guard lock(mu_);
  reap_if_exited_locked();
  return exit_description_;
}

}  // namespace pyro::detail

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
#include <algorithm>
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
void setup_child(Executor& exec, const SpawnOptions& options, pid_t parent, int null_fd, char** envp) {
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
  int err = options.stderr_fd >= 0 ? options.stderr_fd : out;
  if (!redirect(null_fd, 0) || !redirect(out, 1) || !redirect(err, 2)) {
    exec.set_error(std::error_code(errno, std::system_category()), "dup2");
    ::_exit(127);
  }
  if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) {
    exec.set_error(std::error_code(errno, std::system_category()), "chdir");
    ::_exit(127);
  }
  if (envp != nullptr) exec.env = envp;  // execve runs after this hook
  // No other descriptor of the embedding process leaks into the child. CLOEXEC
  // rather than close: Boost's exec-error pipe must stay open until exec.
  ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
}

// This process's environment with `overrides` ("NAME=value") replacing or adding
// entries; built before fork, since the child may not allocate.
std::vector<std::string> merged_environment(const std::vector<std::string>& overrides) {
  std::vector<std::string> merged;
  auto name_of = [](std::string_view entry) { return entry.substr(0, entry.find('=')); };
  for (char** e = ::environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    bool overridden = false;
    for (const auto& o : overrides) overridden = overridden || name_of(o) == name_of(entry);
    if (!overridden) merged.emplace_back(entry);
  }
  merged.insert(merged.end(), overrides.begin(), overrides.end());
  return merged;
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
  for (const auto& entry : options.env) {
    if (entry.find('=') == std::string::npos || entry.front() == '=') {
      throw Error(ErrorCode::kInvalidArgument, fmt::format("spawn `{}`: environment entry `{}` is not NAME=value", exe, entry));
    }
  }
  std::vector<std::string> env_strings;
  std::vector<char*> envp;
  if (!options.env.empty()) {
    env_strings = merged_environment(options.env);
    for (auto& entry : env_strings) envp.push_back(entry.data());
    envp.push_back(nullptr);
  }
  char** const envp_raw = envp.empty() ? nullptr : envp.data();
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
                        [&options, parent, null_raw, envp_raw](auto& exec) {
                          setup_child(exec, options, parent, null_raw, envp_raw);
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
                fmt::format("start `{}`{}: {}", exe, options.cwd.empty() ? "" : fmt::format(" in `{}`", options.cwd),
                            ec ? ec.message() : "fork failed"));
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
  if (WIFEXITED(status)) exit_code_ = WEXITSTATUS(status);
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

std::optional<int> ChildProcess::exit_code() {
  std::lock_guard lock(mu_);
  reap_if_exited_locked();
  return exit_code_;
}

UniqueFd ChildProcess::exit_fd() {
  std::lock_guard lock(mu_);
  if (!pidfd_) return UniqueFd();
  return UniqueFd(::fcntl(pidfd_.get(), F_DUPFD_CLOEXEC, 0));
}


namespace {

constexpr size_t kMaxStderrLine = 4096;

std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      if (!out.empty() && out.back() != ' ') out += "; ";
    } else if (c != '\r') {
      out += c;
    }
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == ';')) out.pop_back();
  return out;
}

}  // namespace

std::string ToolResult::failure(std::string_view tool) const {
  std::string cause = timed_out ? fmt::format("`{}` did not finish in time", tool)
                                : fmt::format("`{}` {}", tool, exit_description);
  std::string tail = one_line(stderr_tail);
  if (!tail.empty()) cause += ": " + tail;
  return cause;
}

ToolResult run_tool(const ToolRun& run) {
  const std::string tool = run.argv.empty() ? std::string() : run.argv.front();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw Error(ErrorCode::kUnavailable, fmt::format("start `{}`: create pipe: {}", tool, std::strerror(errno)));
  }
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  // Destroying `child` on any path (an exception included) kills its process group.
  auto child = ChildProcess::spawn(
      {.argv = run.argv, .stderr_fd = write_end.get(), .env = run.env, .cwd = run.cwd});
  write_end.reset();
  UniqueFd exited = child->exit_fd();

  ToolResult result;
  std::string line;
  auto consume = [&](std::string_view data) {
    result.stderr_tail.append(data);
    if (result.stderr_tail.size() > run.stderr_tail_bytes) {
      result.stderr_tail.erase(0, result.stderr_tail.size() - run.stderr_tail_bytes);
    }
    for (char c : data) {
      if (c == '\n') {
        if (run.on_stderr_line) run.on_stderr_line(line);
        line.clear();
      } else if (line.size() < kMaxStderrLine) {
        line += c;
      }
    }
  };
  // Read stderr until EOF. Once the tool has exited, its group is killed (ChildProcess
  // reaps that way), so EOF follows; what is left is drained without waiting, in case
  // a process that left the group still holds the pipe.
  bool gone = false;
  char buf[4096];
  for (;;) {
    pollfd p[2] = {{read_end.get(), POLLIN, 0}, {exited.get(), POLLIN, 0}};
    const nfds_t count = (exited && !gone) ? 2 : 1;
    int timeout = gone ? 0 : poll_timeout_ms(run.deadline);
    if (!exited && !gone) timeout = std::min(timeout, 50);  // no pidfd: notice the exit by polling
    int rc = ::poll(p, count, timeout);
    if (rc < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorCode::kInternal, fmt::format("run `{}`: poll: {}", tool, std::strerror(errno)));
    }
    if (p[0].revents != 0) {
      ssize_t n = ::read(read_end.get(), buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      consume(std::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (gone) break;
    if (rc == 0 && Clock::now() >= run.deadline) {
      result.timed_out = true;
      break;
    }
    if (!child->alive()) gone = true;
  }
  if (!line.empty() && run.on_stderr_line) run.on_stderr_line(line);
  if (result.timed_out || !child->wait_until(run.deadline)) {
    result.timed_out = true;
    child->kill();
  }
  result.exit_code = child->exit_code();
  result.exit_description = child->exit_description();
  return result;
}

}  // namespace pyro::detail

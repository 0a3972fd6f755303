// fork + execve under the reaper with a CLOEXEC report pipe for pre-exec failures.
#include "spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent_error.hpp"

namespace pyro::agent {
namespace {

enum Stage : int { kStdio = 1, kTty = 2, kCwd = 3, kExec = 4 };
struct Report {
  int stage;
  int err;
};

struct Plan {
  std::vector<char*> argv;
  std::vector<char*> envp;
  const SpawnSpec* spec;
  int report_w;
};

[[noreturn]] void fail(int report_w, Stage stage, int err) noexcept {
  Report r{stage, err};
  ssize_t n = ::write(report_w, &r, sizeof r);
  (void)n;
  ::_exit(127);
}

// Runs in the forked child: async-signal-safe calls only.
[[noreturn]] void child_main(const Plan& plan) noexcept {
  const SpawnSpec& s = *plan.spec;
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGPIPE, &dfl, nullptr);
  ::setsid();
  int null_fd = ::open("/dev/null", O_RDWR);
  if (null_fd < 0) fail(plan.report_w, kStdio, errno);
  int in = s.stdin_fd >= 0 ? s.stdin_fd : null_fd;
  int out = s.stdout_fd >= 0 ? s.stdout_fd : null_fd;
  int err = s.stderr_fd >= 0 ? s.stderr_fd : null_fd;
  if (s.controlling_tty && ::ioctl(in, TIOCSCTTY, 0) != 0) fail(plan.report_w, kTty, errno);
  if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) fail(plan.report_w, kStdio, errno);
  if (null_fd > 2) ::close(null_fd);
  if (::chdir(s.cwd.c_str()) != 0) fail(plan.report_w, kCwd, errno);
  ::execve(plan.argv[0], plan.argv.data(), plan.envp.data());
  fail(plan.report_w, kExec, errno);
}

}  // namespace

pid_t spawn_watched(Reaper& reaper, const std::shared_ptr<ExitWatch>& watch, const SpawnSpec& spec,
                    const std::string& what) {
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    throw AgentError("internal", what + ": create pipe: " + std::strerror(errno));
  }
  std::vector<std::string> argv = spec.argv, envp = spec.env;
  Plan plan;
  for (auto& a : argv) plan.argv.push_back(a.data());
  plan.argv.push_back(nullptr);
  for (auto& e : envp) plan.envp.push_back(e.data());
  plan.envp.push_back(nullptr);
  plan.spec = &spec;
  plan.report_w = report[1];

  pid_t pid = reaper.fork_watched(watch, [&plan] { child_main(plan); });
  int fork_errno = errno;
  ::close(report[1]);
  if (pid < 0) {
    ::close(report[0]);
    throw AgentError("internal", what + ": fork: " + std::strerror(fork_errno));
  }
  Report r{};
  size_t got = 0;
  while (got < sizeof r) {
    ssize_t n = ::read(report[0], reinterpret_cast<char*>(&r) + got, sizeof r - got);
    if (n > 0) got += static_cast<size_t>(n);
    else if (n < 0 && errno == EINTR) continue;
    else break;
  }
  ::close(report[0]);
  if (got < sizeof r) return pid;  // EOF: execve succeeded

  watch->wait(-1);  // the child _exits right after reporting
  std::string cause = std::strerror(r.err);
  bool missing = r.err == ENOENT || r.err == ENOTDIR;
  switch (r.stage) {
    case kCwd:
      throw AgentError(missing ? "not_found" : "internal", what + ": cwd `" + spec.cwd + "`: " + cause);
    case kExec:
      throw AgentError(missing ? "not_found" : "internal", what + ": run `" + spec.argv[0] + "`: " + cause);
    case kTty:
      throw AgentError("internal", what + ": set controlling terminal: " + cause);
    default:
      throw AgentError("internal", what + ": set up stdio: " + cause);
  }
}

std::string rfc3339_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  tm utc{};
  ::gmtime_r(&ts.tv_sec, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

int exit_code_of(int wait_status) {
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return WEXITSTATUS(wait_status);
}

int signal_of(int wait_status) { return WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0; }

}  // namespace pyro::agent

// Running one `exec`: fork under the reaper, stream both pipes, then answer.
#include "exec.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>

#include "agent_error.hpp"
#include "log.hpp"
#include "protocol/message.hpp"

namespace pyro::agent {
namespace {

using Clock = std::chrono::steady_clock;
using protocol::Channel;

constexpr auto kDrainAfterExit = std::chrono::milliseconds(250);
constexpr auto kWaitAfterKill = std::chrono::seconds(2);

// What the child reports on its CLOEXEC pipe when it fails before execve.
enum class ChildStage : int { kStdio = 1, kCwd = 2, kExec = 3 };
struct ChildFailure {
  int stage;
  int err;
};

struct Pipe {
  int r = -1;
  int w = -1;
  ~Pipe() { close_both(); }
  bool open() { int fds[2]; if (::pipe2(fds, O_CLOEXEC) != 0) return false; r = fds[0]; w = fds[1]; return true; }
  void close_r() { if (r >= 0) ::close(r); r = -1; }
  void close_w() { if (w >= 0) ::close(w); w = -1; }
  void close_both() { close_r(); close_w(); }
};

// Pointers into the spec, prepared before fork: the child may not allocate.
struct ChildPlan {
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::vector<const char*> candidates;
  const char* cwd;
  int out_w, err_w, report_w;
};

[[noreturn]] void child_fail(int report_w, ChildStage stage, int err) noexcept {
  ChildFailure f{static_cast<int>(stage), err};
  ssize_t n = ::write(report_w, &f, sizeof f);
  (void)n;
  ::_exit(127);
}

// Runs in the forked child: async-signal-safe calls only.
[[noreturn]] void child_main(const ChildPlan& plan) noexcept {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGPIPE, &dfl, nullptr);  // an ignored SIGPIPE would survive execve
  ::setsid();
  int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd < 0) child_fail(plan.report_w, ChildStage::kStdio, errno);
  if (::dup2(null_fd, 0) < 0 || ::dup2(plan.out_w, 1) < 0 || ::dup2(plan.err_w, 2) < 0) {
    child_fail(plan.report_w, ChildStage::kStdio, errno);
  }
  if (null_fd > 2) ::close(null_fd);
  if (::chdir(plan.cwd) != 0) child_fail(plan.report_w, ChildStage::kCwd, errno);
  int err = ENOENT;
  bool saw_eacces = false;
  for (const char* path : plan.candidates) {
    ::execve(path, plan.argv.data(), plan.envp.data());
    err = errno;
    if (err == EACCES) saw_eacces = true;
    // Like execvp: keep searching past missing or unusable entries.
    if (err != ENOENT && err != ENOTDIR && err != EACCES) break;
  }
  if (saw_eacces && (err == ENOENT || err == ENOTDIR)) err = EACCES;
  child_fail(plan.report_w, ChildStage::kExec, err);
}

AgentError failure_to_error(const ChildFailure& f, const ExecSpec& spec) {
  std::string cause = std::strerror(f.err);
  switch (static_cast<ChildStage>(f.stage)) {
    case ChildStage::kCwd:
      if (f.err == ENOENT || f.err == ENOTDIR) {
        return AgentError("not_found", "exec: cwd `" + spec.cwd + "`: " + cause);
      }
      return AgentError("internal", "exec: enter cwd `" + spec.cwd + "`: " + cause);
    case ChildStage::kExec:
      if (f.err == ENOENT || f.err == ENOTDIR) {
        return AgentError("not_found", "exec: program `" + spec.argv[0] + "`: " + cause);
      }
      if (f.err == EACCES || f.err == EPERM) {
        return AgentError("permission_denied", "exec: program `" + spec.argv[0] + "`: " + cause);
      }
      return AgentError("internal", "exec: run `" + spec.argv[0] + "`: " + cause);
    case ChildStage::kStdio:
      break;
  }
  return AgentError("internal", "exec: set up stdio: " + cause);
}

// Reads what the child reported before execve; nullopt once execve succeeded (EOF).
std::optional<ChildFailure> read_child_report(int fd) {
  ChildFailure f{};
  size_t got = 0;
  while (got < sizeof f) {
    ssize_t n = ::read(fd, reinterpret_cast<char*>(&f) + got, sizeof f - got);
    if (n > 0) got += static_cast<size_t>(n);
    else if (n < 0 && errno == EINTR) continue;
    else break;
  }
  if (got == sizeof f) return f;
  return std::nullopt;
}

// Output of one pipe: counts everything, forwards up to the limit.
struct OutputStream {
  Channel channel;
  uint64_t limit;
  int fd;
  uint64_t bytes = 0;
  uint64_t forwarded = 0;
  bool open = true;
};

int ms_until(Clock::time_point t) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(t - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, 60'000));
}

void pump(Connection& conn, uint32_t stream, OutputStream& out, std::string& buf) {
  ssize_t n = ::read(out.fd, buf.data(), buf.size());
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    out.open = false;
    return;
  }
  out.bytes += static_cast<uint64_t>(n);
  if (out.forwarded < out.limit) {
    auto take = static_cast<size_t>(std::min<uint64_t>(static_cast<uint64_t>(n), out.limit - out.forwarded));
    out.forwarded += take;
    // A dead connection drops the frame; keep draining so the command is not blocked.
    conn.send(protocol::make_data_frame(stream, out.channel, std::string_view(buf.data(), take)));
  }
}

nlohmann::json run_checked(Connection& conn, Reaper& reaper, uint32_t stream, const ExecSpec& spec,
                           const CancelFlag& cancel) {
  Pipe out, err, report;
  if (!out.open() || !err.open() || !report.open()) {
    throw AgentError("internal", std::string("exec: create pipe: ") + std::strerror(errno));
  }
  auto watch = std::make_shared<ExitWatch>();

  std::vector<std::string> argv = spec.argv, envp = spec.env;
  ChildPlan plan;
  for (auto& a : argv) plan.argv.push_back(a.data());
  plan.argv.push_back(nullptr);
  for (auto& e : envp) plan.envp.push_back(e.data());
  plan.envp.push_back(nullptr);
  for (const auto& c : spec.candidates) plan.candidates.push_back(c.c_str());
  plan.cwd = spec.cwd.c_str();
  plan.out_w = out.w;
  plan.err_w = err.w;
  plan.report_w = report.w;

  const auto start = Clock::now();
  pid_t pid = reaper.fork_watched(watch, [&plan] { child_main(plan); });
  if (pid < 0) throw AgentError("internal", std::string("exec: fork: ") + std::strerror(errno));
  out.close_w();
  err.close_w();
  report.close_w();

  if (auto failure = read_child_report(report.r)) {
    watch->wait(-1);  // the child _exits right after reporting
    throw failure_to_error(*failure, spec);
  }
  report.close_r();

  OutputStream streams[2] = {{Channel::kStdout, spec.stdout_limit, out.r},
                             {Channel::kStderr, spec.stderr_limit, err.r}};
  std::string buf(protocol::kMaxDataChunk, '\0');
  const auto deadline = start + std::chrono::milliseconds(spec.timeout_ms);
  bool timed_out = false;
  bool cancelled = false;  // by `exec_cancel`, before the command ended
  Clock::time_point exited_at{};
  Clock::time_point killed_at{};

  for (;;) {
    bool exited = watch->done();
    if (exited && exited_at == Clock::time_point{}) exited_at = Clock::now();
    if (exited && !streams[0].open && !streams[1].open) break;
    // A background process may hold a pipe open forever: stop reading, do not kill it.
    if (exited && Clock::now() >= exited_at + kDrainAfterExit) break;
    if (!exited && !timed_out && !cancelled && Clock::now() >= deadline) {
      reaper.kill_group(pid, SIGKILL);
      timed_out = true;
      killed_at = Clock::now();
    }
    const bool killed = timed_out || cancelled;
    if (!exited && killed && Clock::now() >= killed_at + kWaitAfterKill) {
      log_line("exec on stream " + std::to_string(stream) + ": pid " + std::to_string(pid) +
               " survived SIGKILL; answering anyway");
      break;
    }

    int timeout = exited ? ms_until(exited_at + kDrainAfterExit)
                         : (killed ? ms_until(killed_at + kWaitAfterKill) : ms_until(deadline));
    pollfd fds[4];
    int nfds = 0;
    int index[2] = {-1, -1};
    for (int i = 0; i < 2; ++i) {
      if (!streams[i].open) continue;
      index[i] = nfds;
      fds[nfds++] = {streams[i].fd, POLLIN, 0};
    }
    if (!exited) fds[nfds++] = {watch->fd(), POLLIN, 0};
    const int cancel_index = !exited && !killed ? nfds : -1;
    if (cancel_index >= 0) fds[nfds++] = {cancel.fd(), POLLIN, 0};
    int r = ::poll(fds, static_cast<nfds_t>(nfds), timeout);
    if (r < 0 && errno != EINTR) {
      throw AgentError("internal", std::string("exec: poll: ") + std::strerror(errno));
    }
    if (r <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (index[i] >= 0 && fds[index[i]].revents != 0) pump(conn, stream, streams[i], buf);
    }
    if (cancel_index >= 0 && fds[cancel_index].revents != 0 && !watch->done()) {
      reaper.kill_group(pid, SIGKILL);
      cancelled = true;
      killed_at = Clock::now();
    }
  }
  const auto end = Clock::now();

  int exit_code = 0;
  int sig = 0;
  if (timed_out || cancelled) {
    exit_code = 128 + SIGKILL;
    sig = SIGKILL;
  } else if (WIFSIGNALED(watch->status())) {
    sig = WTERMSIG(watch->status());
    exit_code = 128 + sig;
  } else {
    exit_code = WEXITSTATUS(watch->status());
  }
  return {
      {"exit_code", exit_code},
      {"signal", sig},
      {"timed_out", timed_out},
      {"cancelled", cancelled},
      {"duration_ms", std::chrono::duration_cast<std::chrono::milliseconds>(end - start).count()},
      {"stdout_bytes", streams[0].bytes},
      {"stderr_bytes", streams[1].bytes},
      {"stdout_truncated", streams[0].bytes > streams[0].forwarded},
      {"stderr_truncated", streams[1].bytes > streams[1].forwarded},
  };
}

}  // namespace

void run_exec(Connection& conn, Reaper& reaper, uint32_t stream, const ExecSpec& spec,
              const CancelFlag& cancel) noexcept {
  try {
    conn.send(protocol::make_response(stream, run_checked(conn, reaper, stream, spec, cancel)));
  } catch (const AgentError& e) {
    conn.send(protocol::make_error_response(stream, e.code(), e.what()));
  } catch (const std::exception& e) {
    conn.send(protocol::make_error_response(stream, "internal", std::string("exec: ") + e.what()));
  } catch (...) {
    conn.send(protocol::make_error_response(stream, "internal", "exec: unknown failure"));
  }
}

}  // namespace pyro::agent

// Shells: a login-less interactive shell per PTY, a pump thread per PTY master
// feeding the shell's ring, and the write/resize/signal/close operations.
#include "shells.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/random.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "agent_error.hpp"
#include "output_ring.hpp"
#include "process_params.hpp"
#include "protocol/base64.hpp"
#include "pty.hpp"
#include "ring_params.hpp"
#include "signal_names.hpp"
#include "spawn.hpp"

namespace pyro::agent {

using nlohmann::json;

struct Shell {
  std::string id, cwd, created_at;
  int master = -1;
  pid_t pid = 0;
  std::shared_ptr<ExitWatch> watch = std::make_shared<ExitWatch>();
  std::shared_ptr<OutputRing> ring = std::make_shared<OutputRing>();
  std::atomic<bool> closed{false};
  std::mutex mu;  // guards cols/rows and keeps writes whole
  int cols = 120, rows = 40;

  ~Shell() {
    if (master >= 0) ::close(master);
  }

  json status() {
    bool done = watch->done();
    std::lock_guard lock(mu);
    return {{"shell_id", id},
            {"state", done ? "exited" : "running"},
            {"pid", done ? 0 : pid},
            {"exit_code", done ? exit_code_of(watch->status()) : 0},
            {"cols", cols},
            {"rows", rows},
            {"cwd", cwd},
            {"created_at", created_at}};
  }
};

namespace {

constexpr int kWriteTimeoutMs = 10000;
constexpr size_t kMaxWrite = 65536;
constexpr int kCloseGraceMs = 1000;

std::string new_shell_id() {
  uint32_t r = 0;
  if (::getrandom(&r, sizeof r, 0) != sizeof r) r = static_cast<uint32_t>(::getpid()) ^ static_cast<uint32_t>(::time(nullptr));
  char buf[16];
  std::snprintf(buf, sizeof buf, "sh-%08x", r);
  return buf;
}

// Reads the PTY master into the ring until the slave side is gone (EIO) or the
// shell is closed. Holds the shell, so the master stays open while it reads.
void pump(std::shared_ptr<Shell> sh) {
  char buf[65536];
  while (!sh->closed.load()) {
    pollfd p{sh->master, POLLIN, 0};
    int r = ::poll(&p, 1, 200);
    if (r <= 0) continue;
    ssize_t n = ::read(sh->master, buf, sizeof buf);
    if (n > 0) {
      sh->ring->append(buf, static_cast<size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      continue;
    } else {
      break;  // EIO: every slave fd closed
    }
  }
  sh->ring->close_writer();
}

int checked_size(const json& params, const char* method, const char* name, int fallback) {
  return static_cast<int>(param_uint(params, method, name, static_cast<uint64_t>(fallback), 1, 1000));
}

}  // namespace

json Shells::open(const json& params) {
  const char* method = "shell_open";
  if (!params.is_object()) invalid_param(method, "params are not an object");
  auto sh = std::make_shared<Shell>();
  sh->cwd = workspace_.root();
  if (auto it = params.find("cwd"); it != params.end() && !it->is_null()) {
    sh->cwd = param_string(*it, method, "cwd");
    if (sh->cwd.empty()) invalid_param(method, "`cwd` is empty");
  }
  SpawnSpec spec;
  spec.env = process_env(params, method, "xterm-256color");
  sh->cols = checked_size(params, method, "cols", 120);
  sh->rows = checked_size(params, method, "rows", 40);
  check_cwd(sh->cwd, method);
  {
    std::lock_guard lock(mu_);
    if (shells_.size() >= kMaxShells) {
      throw AgentError("resource_exhausted", std::string(method) + ": " + std::to_string(kMaxShells) + " shells are open");
    }
  }

  PtyPair pty = open_pty(sh->cols, sh->rows, is_pid1_);
  sh->master = pty.master;
  if (::access("/bin/bash", X_OK) == 0) {
    spec.argv = {"/bin/bash", "--noprofile", "--norc", "-i"};
  } else {
    spec.argv = {"/bin/sh", "-i"};
  }
  spec.cwd = sh->cwd;
  spec.stdin_fd = spec.stdout_fd = spec.stderr_fd = pty.slave;
  spec.controlling_tty = true;
  try {
    sh->pid = spawn_watched(reaper_, sh->watch, spec, method);
  } catch (...) {
    ::close(pty.slave);
    throw;
  }
  ::close(pty.slave);  // the master sees EIO once the shell's side is all closed
  sh->created_at = rfc3339_now();
  sh->ring->open_writer();
  sh->ring->seal();  // a shell never restarts
  std::thread(pump, sh).detach();
  {
    std::lock_guard lock(mu_);
    do sh->id = new_shell_id();
    while (shells_.count(sh->id));
    shells_[sh->id] = sh;
  }
  return sh->status();
}

std::shared_ptr<Shell> Shells::find(const json& params, const char* method) {
  if (!params.is_object()) invalid_param(method, "params are not an object");
  if (!params.contains("shell_id")) invalid_param(method, "`shell_id` is missing");
  std::string id = param_string(params["shell_id"], method, "shell_id");
  std::lock_guard lock(mu_);
  auto it = shells_.find(id);
  if (it == shells_.end()) throw AgentError("not_found", std::string(method) + ": no shell `" + id + "`");
  return it->second;
}

json Shells::write(const json& params) {
  const char* method = "shell_write";
  auto sh = find(params, method);
  if (!params.contains("data")) invalid_param(method, "`data` is missing");
  auto data = protocol::base64_decode(param_string(params["data"], method, "data"));
  if (!data) invalid_param(method, "`data` is not base64");
  if (data->size() > kMaxWrite) invalid_param(method, "`data` is over 65536 bytes");
  if (sh->watch->done()) throw AgentError("failed_precondition", std::string(method) + ": shell `" + sh->id + "` exited");
  {
    std::lock_guard lock(sh->mu);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWriteTimeoutMs);
    size_t done = 0;
    while (done < data->size()) {
      ssize_t n = ::write(sh->master, data->data() + done, data->size() - done);
      if (n > 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN) {
        throw AgentError("internal", std::string(method) + ": write to PTY: " + std::strerror(errno));
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      pollfd p{sh->master, POLLOUT, 0};
      if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) == 0) {
        throw AgentError("deadline_exceeded", std::string(method) + ": shell `" + sh->id + "` did not take input for " +
                                                  std::to_string(kWriteTimeoutMs / 1000) + " s (" +
                                                  std::to_string(done) + " bytes written)");
      }
    }
  }
  return sh->status();
}

json Shells::read(const json& params) {
  const char* method = "shell_read";
  auto sh = find(params, method);
  json out = ring_result_json(sh->ring->read(parse_ring_read(params, method)));
  out["shell"] = sh->status();
  return out;
}

json Shells::resize(const json& params) {
  const char* method = "shell_resize";
  auto sh = find(params, method);
  if (!params.contains("cols") || !params.contains("rows")) invalid_param(method, "`cols` and `rows` are required");
  int cols = checked_size(params, method, "cols", 120);
  int rows = checked_size(params, method, "rows", 40);
  {
    std::lock_guard lock(sh->mu);
    if (!set_window_size(sh->master, cols, rows)) {
      throw AgentError("internal", std::string(method) + ": set window size: " + std::strerror(errno));
    }
    sh->cols = cols;
    sh->rows = rows;
  }
  return sh->status();
}

json Shells::signal(const json& params) {
  const char* method = "shell_signal";
  auto sh = find(params, method);
  if (!params.contains("signal")) invalid_param(method, "`signal` is missing");
  int sig = signal_from_name(param_string(params["signal"], method, "signal"), true);
  if (sig == 0) invalid_param(method, "`signal` must be one of HUP INT QUIT KILL USR1 USR2 TERM TSTP CONT WINCH");
  if (!sh->watch->done()) {
    // The foreground job (e.g. `sleep 100`) is the one a Ctrl-C would hit.
    pid_t pgrp = ::tcgetpgrp(sh->master);
    if (pgrp <= 0 || ::kill(-pgrp, sig) != 0) reaper_.kill_group(sh->pid, sig);
  }
  return sh->status();
}

json Shells::close(const json& params) {
  auto sh = find(params, "shell_close");
  {
    std::lock_guard lock(mu_);
    shells_.erase(sh->id);
  }
  if (!sh->watch->done()) {
    reaper_.kill_group(sh->pid, SIGHUP);
    if (!sh->watch->wait(kCloseGraceMs)) {
      reaper_.kill_group(sh->pid, SIGKILL);
      sh->watch->wait(1000);
    }
  }
  sh->closed.store(true);
  return json::object();
}

}  // namespace pyro::agent

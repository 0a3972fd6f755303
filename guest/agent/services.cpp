// Services: start (spawn + readiness), supervise (exit, restart with backoff),
// logs, stop. One mutex guards every service's state; each running service has a
// supervisor thread and each process a pump thread feeding the service's ring.
#include "services.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "agent_error.hpp"
#include "log.hpp"
#include "process_params.hpp"
#include "ring_params.hpp"
#include "signal_names.hpp"
#include "spawn.hpp"

namespace pyro::agent {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Service {
  // Fixed at start.
  std::string name, command, cwd;
  std::vector<std::string> env;
  ReadinessSpec readiness;
  std::string restart;
  uint64_t max_restarts = 5;
  std::shared_ptr<OutputRing> ring = std::make_shared<OutputRing>();
  // Guarded by Services::mu_.
  std::string state = "starting";
  pid_t pid = 0;
  std::shared_ptr<ExitWatch> watch;
  int exit_code = 0;
  int signal = 0;
  uint64_t restarts = 0;
  std::string started_at, ended_at;
  bool ready = false;
  bool stop_requested = false;
  // Why readiness failed (state failed, exited or stopped before ready): the error
  // code and message a waiting service_start answers with. Empty code: no failure.
  std::string failure_code, failure_message;
};

namespace {

constexpr auto kStopAfterFailedReadiness = std::chrono::seconds(2);

bool active(const Service& s) { return s.state == "starting" || s.state == "running"; }

bool valid_name(const std::string& n) {
  if (n.empty() || n.size() > 63 || !std::isalnum(static_cast<unsigned char>(n[0]))) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

std::string required_name(const json& params, const char* method) {
  if (!params.is_object()) invalid_param(method, "params are not an object");
  if (!params.contains("name")) invalid_param(method, "`name` is missing");
  std::string name = param_string(params["name"], method, "name");
  if (!valid_name(name)) invalid_param(method, "`name` must be 1-63 of [A-Za-z0-9._-], starting with a letter or digit");
  return name;
}

std::chrono::milliseconds backoff(uint64_t n) {
  // 500 ms * 2^(n-1), at most 5 s.
  int64_t ms = 500;
  for (uint64_t i = 1; i < n && ms < 5000; ++i) ms *= 2;
  return std::chrono::milliseconds(std::min<int64_t>(ms, 5000));
}

// Reads a process's output pipe into the ring until every writer has closed it.
void pump(int fd, std::shared_ptr<OutputRing> ring) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      ring->append(buf, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  ::close(fd);
  ring->close_writer();
}

// Signals the group, waits up to `grace`, then SIGKILLs it and waits a little more.
void stop_group(Reaper& reaper, pid_t pid, const ExitWatch& watch, int sig, std::chrono::milliseconds grace) {
  reaper.kill_group(pid, sig);
  if (watch.wait(static_cast<int>(grace.count()))) return;
  reaper.kill_group(pid, SIGKILL);
  watch.wait(2000);
}

}  // namespace

Services::Launched Services::launch(const Service& svc) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw AgentError("internal", "service_start `" + svc.name + "`: create pipe: " + std::strerror(errno));
  }
  SpawnSpec spec;
  spec.argv = {"/bin/sh", "-c", svc.command};
  spec.env = svc.env;
  spec.cwd = svc.cwd;
  spec.stdout_fd = fds[1];
  spec.stderr_fd = fds[1];
  Launched l{0, std::make_shared<ExitWatch>()};
  try {
    l.pid = spawn_watched(reaper_, l.watch, spec, "service_start `" + svc.name + "`");
  } catch (...) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw;
  }
  ::close(fds[1]);
  svc.ring->open_writer();
  std::thread(pump, fds[0], svc.ring).detach();
  return l;
}

json Services::status_locked(const Service& s) const {
  return {{"name", s.name},         {"command", s.command},       {"cwd", s.cwd},
          {"state", s.state},       {"pid", s.pid},               {"exit_code", s.exit_code},
          {"signal", s.signal},     {"restarts", s.restarts},     {"started_at", s.started_at},
          {"ended_at", s.ended_at}, {"readiness", s.readiness.type}, {"ready", s.ready},
          {"failure", s.failure_code.empty() ? json(nullptr)
                                             : json{{"code", s.failure_code}, {"message", s.failure_message}}}};
}

void Services::record_exit_locked(Service& s, int wait_status) {
  s.exit_code = exit_code_of(wait_status);
  s.signal = signal_of(wait_status);
  s.pid = 0;
  s.ended_at = rfc3339_now();
}

json Services::start(const json& params) {
  const char* method = "service_start";
  auto svc = std::make_shared<Service>();
  svc->name = required_name(params, method);
  if (!params.contains("command")) invalid_param(method, "`command` is missing");
  svc->command = param_string(params["command"], method, "command");
  if (svc->command.empty()) invalid_param(method, "`command` is empty");
  svc->cwd = workspace_.root();
  if (auto it = params.find("cwd"); it != params.end() && !it->is_null()) {
    svc->cwd = param_string(*it, method, "cwd");
    if (svc->cwd.empty()) invalid_param(method, "`cwd` is empty");
  }
  svc->env = process_env(params, method, "dumb");
  svc->readiness = parse_readiness(params);
  svc->restart = "never";
  if (auto it = params.find("restart"); it != params.end() && !it->is_null()) {
    svc->restart = param_string(*it, method, "restart");
    if (svc->restart != "never" && svc->restart != "on-failure" && svc->restart != "always") {
      invalid_param(method, "`restart` must be never, on-failure or always");
    }
  }
  svc->max_restarts = param_uint(params, method, "max_restarts", 5, 0, 1000);
  bool wait = true;
  if (auto it = params.find("wait"); it != params.end() && !it->is_null()) {
    if (!it->is_boolean()) invalid_param(method, "`wait` is not a boolean");
    wait = it->get<bool>();
  }
  check_cwd(svc->cwd, method);

  {
    std::lock_guard lock(mu_);
    auto it = services_.find(svc->name);
    if (it != services_.end()) {
      if (active(*it->second)) {
        throw AgentError("already_exists", std::string(method) + ": service `" + svc->name + "` is " + it->second->state);
      }
      it->second->stop_requested = true;  // cancels a pending restart of the one replaced
      cv_.notify_all();
    } else if (services_.size() >= kMaxServices) {
      throw AgentError("resource_exhausted", std::string(method) + ": " + std::to_string(kMaxServices) +
                                                 " services exist already");
    }
    svc->started_at = rfc3339_now();
    services_[svc->name] = svc;
  }
  try {
    Launched l = launch(*svc);
    std::lock_guard lock(mu_);
    svc->pid = l.pid;
    svc->watch = l.watch;
  } catch (...) {
    std::lock_guard lock(mu_);
    if (services_[svc->name] == svc) services_.erase(svc->name);
    throw;
  }

  if (!wait || svc->readiness.type.empty()) {
    // Ready once spawned, or checked in the background: answer now.
    std::lock_guard lock(mu_);
    if (svc->readiness.type.empty()) {
      svc->ready = true;
      svc->state = "running";
      std::thread([this, svc] { supervise(svc); }).detach();
    } else {
      std::thread([this, svc] { settle_readiness(svc); }).detach();
    }
    return status_locked(*svc);
  }
  const bool ready = settle_readiness(svc);
  std::lock_guard lock(mu_);
  if (!ready) throw AgentError(svc->failure_code, svc->failure_message);
  return status_locked(*svc);
}

bool Services::settle_readiness(const std::shared_ptr<Service>& svc) {
  std::string last_failure;
  if (wait_ready(svc, last_failure)) {
    std::lock_guard lock(mu_);
    svc->ready = true;
    if (svc->state == "starting") svc->state = "running";
    std::thread([this, svc] { supervise(svc); }).detach();
    return true;
  }

  std::shared_ptr<ExitWatch> watch;
  pid_t pid;
  {
    std::lock_guard lock(mu_);
    watch = svc->watch;
    pid = svc->pid;
  }
  bool exited_by_itself = watch->done();
  if (!exited_by_itself) stop_group(reaper_, pid, *watch, SIGTERM, kStopAfterFailedReadiness);
  std::lock_guard lock(mu_);
  record_exit_locked(*svc, watch->status());
  svc->ring->seal();
  std::string prefix = "service_start `" + svc->name + "`: ";
  if (svc->stop_requested) {
    svc->state = "stopped";
    svc->failure_code = "failed_precondition";
    svc->failure_message = prefix + "stopped before it was ready";
  } else if (exited_by_itself) {
    svc->state = "exited";
    svc->failure_code = "failed_precondition";
    svc->failure_message = prefix + "exited with code " + std::to_string(svc->exit_code) + " before it was ready";
  } else {
    svc->state = "failed";
    svc->failure_code = "deadline_exceeded";
    svc->failure_message =
        prefix + "not ready within " + std::to_string(svc->readiness.timeout_ms) + " ms: " + last_failure;
  }
  cv_.notify_all();
  return false;
}

bool Services::wait_ready(const std::shared_ptr<Service>& svc, std::string& last_failure) {
  const ReadinessSpec& spec = svc->readiness;
  if (spec.type.empty()) return true;
  const auto deadline = Clock::now() + std::chrono::milliseconds(spec.timeout_ms);
  CheckContext ctx{svc->cwd, svc->env, &reaper_};
  const std::shared_ptr<ExitWatch> watch = svc->watch;  // set before this runs, never changed while starting
  for (;;) {
    if (watch->done()) return false;
    {
      std::lock_guard lock(mu_);
      if (svc->stop_requested) return false;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    CheckOutcome outcome = check_ready(spec, ctx, left);
    if (outcome.ok) return true;
    last_failure = outcome.reason;
    left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    watch->wait(static_cast<int>(std::min<int64_t>(left, spec.interval_ms)));
  }
}

void Services::supervise(std::shared_ptr<Service> svc) {
  std::unique_lock lock(mu_);
  for (;;) {
    std::shared_ptr<ExitWatch> watch = svc->watch;
    lock.unlock();
    watch->wait(-1);
    lock.lock();
    record_exit_locked(*svc, watch->status());
    if (svc->stop_requested) {
      svc->state = "stopped";
      break;
    }
    svc->state = "exited";
    cv_.notify_all();
    bool failed = svc->exit_code != 0;
    bool again = svc->restart == "always" || (svc->restart == "on-failure" && failed);
    if (!again || svc->restarts >= svc->max_restarts) break;
    if (cv_.wait_for(lock, backoff(svc->restarts + 1), [&] { return svc->stop_requested; })) break;
    ++svc->restarts;
    lock.unlock();
    Launched l{};
    try {
      l = launch(*svc);
    } catch (const std::exception& e) {
      log_line(std::string("restart service `") + svc->name + "`: " + e.what());
      lock.lock();
      break;
    }
    lock.lock();
    svc->pid = l.pid;
    svc->watch = l.watch;
    svc->state = "running";
    svc->started_at = rfc3339_now();
    svc->ended_at.clear();
    // A stop that came while relaunching saw `exited` and returned: honour it.
    if (svc->stop_requested) reaper_.kill_group(l.pid, SIGKILL);
  }
  svc->ring->seal();
  cv_.notify_all();
}

std::shared_ptr<Service> Services::find(const json& params, const char* method) {
  std::string name = required_name(params, method);
  std::lock_guard lock(mu_);
  auto it = services_.find(name);
  if (it == services_.end()) throw AgentError("not_found", std::string(method) + ": no service `" + name + "`");
  return it->second;
}

json Services::list() {
  std::lock_guard lock(mu_);
  json out = json::array();
  for (const auto& [name, svc] : services_) out.push_back(status_locked(*svc));  // std::map: sorted
  return {{"services", out}};
}

json Services::status(const json& params) {
  auto svc = find(params, "service_status");
  std::lock_guard lock(mu_);
  return status_locked(*svc);
}

json Services::logs(const json& params) {
  const char* method = "service_logs";
  auto svc = find(params, method);
  RingReadParams p = parse_ring_read(params, method);
  if (params.contains("tail_lines") && !params["tail_lines"].is_null()) {
    p.cursor = svc->ring->tail_start(param_uint(params, method, "tail_lines", 0, 0, uint64_t{1} << 40));
  }
  json out = ring_result_json(svc->ring->read(p));
  std::lock_guard lock(mu_);
  out["service"] = status_locked(*svc);
  return out;
}

json Services::stop(const json& params) {
  const char* method = "service_stop";
  auto svc = find(params, method);
  int sig = SIGTERM;
  if (auto it = params.find("signal"); it != params.end() && !it->is_null()) {
    sig = signal_from_name(param_string(*it, method, "signal"), false);
    if (sig == 0) invalid_param(method, "`signal` must be one of HUP INT QUIT KILL USR1 USR2 TERM");
  }
  auto grace = std::chrono::milliseconds(param_uint(params, method, "grace_ms", 5000, 0, 600000));
  std::unique_lock lock(mu_);
  svc->stop_requested = true;
  cv_.notify_all();
  if (!active(*svc)) return status_locked(*svc);
  pid_t pid = svc->pid;
  std::shared_ptr<ExitWatch> watch = svc->watch;
  lock.unlock();
  stop_group(reaper_, pid, *watch, sig, grace);
  lock.lock();
  // The supervisor (or a start still checking readiness) records the end.
  cv_.wait_for(lock, std::chrono::seconds(2), [&] { return !active(*svc); });
  return status_locked(*svc);
}

}  // namespace pyro::agent

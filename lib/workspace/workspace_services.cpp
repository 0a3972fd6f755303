// WorkspaceManager: services supervised by the guest agent (docs/workspaces.md,
// "Services"), their published ports, and the output reads services and shells share.
#include <algorithm>
#include <cmath>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "pyro/error.hpp"
#include "runtime/validate.hpp"
#include "util/logging.hpp"
#include "util/scope_exit.hpp"
#include "workspace/guest_reply.hpp"
#include "workspace/port_forwards.hpp"
#include "workspace/process_io.hpp"
#include "workspace/secret_store.hpp"
#include "workspace/workspace_manager.hpp"
#include "workspace/workspace_session.hpp"

namespace pyro::detail {
namespace {

// A wait for output holds the workspace's lock at most this long at a time.
constexpr auto kWaitSlice = std::chrono::milliseconds(2000);
// On top of any wait the agent was asked for.
constexpr auto kCallTimeout = std::chrono::seconds(30);
constexpr size_t kFailureLogLines = 20;
constexpr int kForwardAttempts = 5;
// How often start_service asks whether the agent has decided on readiness.
constexpr auto kFirstReadinessPoll = std::chrono::milliseconds(50);
constexpr auto kMaxReadinessPoll = std::chrono::milliseconds(250);

[[noreturn]] void invalid(const std::string& message) { throw Error(ErrorCode::kInvalidArgument, message); }

std::chrono::milliseconds ms_of(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(seconds * 1000.0)));
}

void validate_service_name(const std::string& name) { validate_workspace_name("name", name, /*allow_id_shape=*/true); }

void validate_readiness(const ServiceReadiness& r) {
  if (!std::isfinite(r.timeout_seconds) || r.timeout_seconds <= 0 ||
      r.timeout_seconds > WorkspaceLimits::kMaxReadinessTimeoutSeconds) {
    invalid(fmt::format("check `readiness.timeout_seconds`: {} is not in (0, {}]", r.timeout_seconds,
                        WorkspaceLimits::kMaxReadinessTimeoutSeconds));
  }
  if (r.interval_ms < 10 || r.interval_ms > 60000) {
    invalid(fmt::format("check `readiness.interval_ms`: {} is not in [10, 60000]", r.interval_ms));
  }
  auto no_nul = [](const std::string& v, const char* field) {
    if (v.find('\0') != std::string::npos) invalid(fmt::format("check `readiness.{}`: it has a NUL byte", field));
  };
  if (r.type.empty()) return;
  if (r.type == "file") {
    if (r.path.empty()) invalid("check `readiness.path`: a file readiness check needs a path");
    no_nul(r.path, "path");
  } else if (r.type == "tcp") {
    if (r.port < 1 || r.port > 65535) invalid(fmt::format("check `readiness.port`: {} is not in [1, 65535]", r.port));
  } else if (r.type == "http") {
    if (r.url.rfind("http://", 0) != 0 || r.url.size() <= 7) {
      invalid(fmt::format("check `readiness.url`: `{}` is not an http:// URL (like http://127.0.0.1:8080/)", r.url));
    }
    no_nul(r.url, "url");
  } else if (r.type == "command") {
    if (r.command.empty()) invalid("check `readiness.command`: a command readiness check needs a command");
    no_nul(r.command, "command");
  } else {
    invalid(fmt::format("check `readiness.type`: `{}` is not one of \"\", file, tcp, http, command", r.type));
  }
}

void validate_service_options(const ServiceOptions& o) {
  validate_process_env(o.cwd, o.env, o.secret_env);
  validate_readiness(o.readiness);
  if (o.restart != "never" && o.restart != "on-failure" && o.restart != "always") {
    invalid(fmt::format("check `restart`: `{}` is not one of never, on-failure, always", o.restart));
  }
  if (o.max_restarts > 1000) invalid(fmt::format("check `max_restarts`: {} is more than 1000", o.max_restarts));
  if (o.published_ports.size() > WorkspaceLimits::kMaxPublishedPorts) {
    invalid(fmt::format("check `published_ports`: {} ports, at most {}", o.published_ports.size(),
                        WorkspaceLimits::kMaxPublishedPorts));
  }
  std::set<uint32_t> seen;
  for (uint32_t port : o.published_ports) {
    if (port < 1 || port > 65535) invalid(fmt::format("check `published_ports`: {} is not in [1, 65535]", port));
    if (!seen.insert(port).second) invalid(fmt::format("check `published_ports`: {} is given twice", port));
  }
}

nlohmann::json readiness_json(const ServiceReadiness& r) {
  if (r.type.empty()) return nullptr;
  nlohmann::json j = {{"type", r.type},
                      {"timeout_ms", ms_of(r.timeout_seconds).count()},
                      {"interval_ms", r.interval_ms}};
  if (r.type == "file") j["path"] = r.path;
  if (r.type == "tcp") j["port"] = r.port;
  if (r.type == "http") j["url"] = r.url;
  if (r.type == "command") j["command"] = r.command;
  return j;
}

bool ended(const std::string& state) { return state == "exited" || state == "failed" || state == "stopped"; }

// A service that ended and will not be restarted no longer needs its forwards.
bool keeps_ports(const ServiceInfo& s, const ServicePorts& p) {
  if (!ended(s.state)) return true;
  if (s.state != "exited") return false;
  const bool failed = s.exit_code != 0 || s.signal != 0;
  const bool restarts = p.restart == "always" || (p.restart == "on-failure" && failed);
  return restarts && s.restarts < p.max_restarts;
}

}  // namespace

// ---- Shared by services and shells ------------------------------------------------

Redactor WorkspaceManager::redactor_of(const WorkspaceRecord& record) const {
  if (record.secret_names.empty()) return Redactor();
  std::vector<std::string> values;
  for (auto& [name, value] : read_secrets(store_.dir(record.id), record.secret_names)) values.push_back(value);
  return Redactor(std::move(values));
}

std::map<std::string, std::string> WorkspaceManager::process_env(
    const WorkspaceRecord& record, const std::map<std::string, std::string>& env,
    const std::map<std::string, std::string>& secret_env) const {
  if (secret_env.empty()) return env;
  return merge_secret_env(env, secret_env, read_secrets(store_.dir(record.id), record.secret_names), record.id);
}

OutputChunk WorkspaceManager::read_output(const std::string& workspace, const char* method,
                                          const nlohmann::json& target, const OutputReadOptions& options, bool tail,
                                          const std::string& what,
                                          const std::function<void(Session&, const nlohmann::json&)>& finish) {
  const auto until = Clock::now() + ms_of(options.wait_seconds);
  int64_t cursor = options.cursor < 0 && !tail ? 0 : options.cursor;
  for (;;) {
    bool held_back = false;
    {
      Session session(ctx_, store_, workspace);
      const Redactor redactor = redactor_of(session.record());
      try {
        AgentConnection& agent = session.agent();
        const auto left = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()),
                                   std::chrono::milliseconds(0));
        const auto wait = std::min(left, std::chrono::milliseconds(kWaitSlice));
        if (cursor < 0 && !redactor.empty()) {
          // Where the tail starts, so that the read below can look behind it.
          nlohmann::json probe = target;
          probe.update({{"tail_lines", options.tail_lines}, {"max_bytes", 1}});
          cursor = agent.call(method, probe, deadline_after(kCallTimeout)).at("offset").get<int64_t>();
        }
        nlohmann::json params = target;
        params.update(read_params(cursor, options, redactor, static_cast<uint32_t>(wait.count())));
        if (cursor < 0) params["tail_lines"] = options.tail_lines;
        nlohmann::json reply = agent.call(method, params, deadline_after(wait + kCallTimeout));
        OutputChunk chunk = chunk_from_read(reply, cursor, redactor, read_bound(params));
        const bool finished = reply.value("finished", false);
        if (!chunk.output.empty() || finished || chunk.missed_bytes > 0 || wait.count() == 0 ||
            Clock::now() >= until) {
          finish(session, reply);
          return chunk;
        }
        held_back = chunk.next_cursor < reply.value("end", chunk.next_cursor);
        cursor = chunk.next_cursor;
      } catch (const Error& e) {
        throw redacted(session.fail(e, what), redactor);
      } catch (const nlohmann::json::exception& e) {
        throw Error(ErrorCode::kAgentProtocol, fmt::format("{}: malformed reply: {}", what, e.what()));
      }
    }
    // Nothing yet: let other operations on the workspace in, then wait again. Output
    // held back as a possible secret prefix is already there, so the agent would not wait.
    std::this_thread::sleep_for(held_back ? std::chrono::milliseconds(200) : std::chrono::milliseconds(20));
  }
}

void WorkspaceManager::remove_forwards(Session& session, const std::vector<PublishedPort>& ports) noexcept {
  for (const PublishedPort& p : ports) {
    try {
      session.vm().remove_port_forward(p.host_port);
    } catch (const std::exception& e) {
      log(LogLevel::kWarn, "workspace `{}`: remove the forward of 127.0.0.1:{}: {}", session.id(), p.host_port,
          e.what());
    }
  }
}

void WorkspaceManager::attach_ports(Session& session, std::vector<ServiceInfo>& services) {
  const std::string run = store_.run_dir(session.id());
  PortTable table = load_port_table(run);
  if (table.empty()) return;
  bool changed = false;
  for (ServiceInfo& s : services) {
    auto it = table.find(s.name);
    if (it == table.end()) continue;
    if (keeps_ports(s, it->second)) {
      s.published_ports = it->second.ports;
      continue;
    }
    remove_forwards(session, it->second.ports);
    table.erase(it);
    changed = true;
  }
  if (changed) save_port_table(run, table);
}

// ---- Services -----------------------------------------------------------------------

// What start_service's steps share.
struct WorkspaceManager::ServiceStart {
  const std::string& name;
  const std::string& command;
  const ServiceOptions& options;
  std::chrono::milliseconds readiness_timeout{0};
  std::string id, what, run;
  Redactor redactor;
  std::vector<PublishedPort> added;  // forwards this start added (in QEMU, then in run/ports.json)
  std::string started_at;            // started_at and pid tell whether the service is still ours
  int64_t pid = 0;

  ServiceInfo running(const nlohmann::json& status) const {
    ServiceInfo info = service_from_json(status);
    info.published_ports = added;
    return info;
  }
  // Why a service that ended while starting never became ready.
  Error failure_of(const nlohmann::json& status) const {
    return service_failure(status, fmt::format("service_start `{}`: it is {} and was never ready", name,
                                               status.at("state").get<std::string>()));
  }
};

namespace {

void validate_service_start(const std::string& name, const std::string& command, const ServiceOptions& options) {
  validate_service_name(name);
  validate_command(command);
  validate_service_options(options);
}

void require_published_ports_policy(const WorkspaceRecord& record, const ServiceOptions& options) {
  if (options.published_ports.empty() ||
      record.network_policy == network_policy_name(NetworkPolicy::kEgressPublishedPorts)) {
    return;
  }
  throw Error(ErrorCode::kFailedPrecondition,
              fmt::format("published ports need the network policy `egress+published-ports`, and this "
                          "workspace's is `{}` (create the workspace with network_policy "
                          "egress+published-ports)",
                          record.network_policy));
}

bool same_host_ports(const std::vector<PublishedPort>& a, const std::vector<PublishedPort>& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](const auto& x, const auto& y) {
           return x.host_port == y.host_port;
         });
}

nlohmann::json service_start_params(const std::string& name, const std::string& command,
                                    const std::map<std::string, std::string>& env, const ServiceOptions& options) {
  nlohmann::json params = {{"name", name},
                           {"command", command},
                           {"env", env},
                           {"readiness", readiness_json(options.readiness)},
                           {"restart", options.restart},
                           {"max_restarts", options.max_restarts},
                           {"wait", false}};
  if (!options.cwd.empty()) params["cwd"] = options.cwd;
  if (params["env"].is_null()) params["env"] = nlohmann::json::object();
  return params;
}

}  // namespace

Error WorkspaceManager::with_service_log_tail(Session& session, const ServiceStart& start, const Error& e) {
  std::string message = e.what();
  try {
    const nlohmann::json params = {{"name", start.name}, {"tail_lines", kFailureLogLines}, {"max_bytes", 16384}};
    nlohmann::json logs = session.agent().call("service_logs", params, deadline_after(std::chrono::seconds(10)));
    // Cut at both ends: redacted as an excerpt, so no piece of a secret shows.
    const OutputChunk tail = chunk_from_read(logs, -1, Redactor(), read_bound(params));
    const std::string text = start.redactor.redact_excerpt(tail.output);
    message += text.empty() ? "; the service wrote no output" : fmt::format("; its last log lines:\n{}", text);
  } catch (const Error&) {
  } catch (const nlohmann::json::exception&) {
  }
  return Error(e.code(), message);
}

void WorkspaceManager::drop_service_forwards(Session& session, const ServiceStart& start,
                                             bool holding_first_lock) noexcept {
  if (start.added.empty()) return;
  PortTable table;
  bool recorded = false;
  try {
    table = load_port_table(start.run);
    auto it = table.find(start.name);
    recorded = it != table.end() && same_host_ports(it->second.ports, start.added);
  } catch (const std::exception& e) {
    log(LogLevel::kWarn, "workspace `{}`: read the forwards of service `{}`: {}", start.id, start.name, e.what());
  }
  if (!recorded && !holding_first_lock) return;
  remove_forwards(session, start.added);
  if (!recorded) return;
  try {
    table.erase(start.name);
    save_port_table(start.run, table);
  } catch (const std::exception& e) {
    log(LogLevel::kWarn, "workspace `{}`: forget the forwards of service `{}`: {}", start.id, start.name, e.what());
  }
}

void WorkspaceManager::retire_earlier_service(Session& session, ServiceStart& start) {
  PortTable table = load_port_table(start.run);
  auto old = table.find(start.name);
  if (old == table.end()) return;
  ServiceInfo status = service_from_json(
      session.agent().call("service_status", {{"name", start.name}}, deadline_after(kCallTimeout)));
  if (!ended(status.state)) {
    throw Error(ErrorCode::kAlreadyExists, fmt::format("a service named `{}` is {}", start.name, status.state));
  }
  remove_forwards(session, old->second.ports);
  table.erase(old);
  save_port_table(start.run, table);
}

void WorkspaceManager::add_service_forwards(Session& session, ServiceStart& start) {
  for (uint32_t guest_port : start.options.published_ports) {
    for (int attempt = 1;; ++attempt) {
      const uint32_t host_port = pick_free_loopback_port();
      try {
        session.vm().add_port_forward(host_port, guest_port);
        start.added.push_back({guest_port, host_port, "127.0.0.1"});
        break;
      } catch (const Error& e) {
        // Someone took the port between our probe and QEMU's bind: pick another.
        if (e.code() != ErrorCode::kAlreadyExists || attempt == kForwardAttempts) throw;
      }
    }
  }
  if (start.added.empty()) return;
  PortTable table = load_port_table(start.run);
  table[start.name] = ServicePorts{start.added, start.options.restart, start.options.max_restarts};
  save_port_table(start.run, table);
}

ServiceInfo WorkspaceManager::start_service(const std::string& workspace, const std::string& name,
                                            const std::string& command, const ServiceOptions& options) {
  validate_service_start(name, command, options);
  ServiceStart start{.name = name, .command = command, .options = options};
  if (!options.readiness.type.empty()) start.readiness_timeout = ms_of(options.readiness.timeout_seconds);

  // 1. Forwards and the spawn, under the workspace's lock; the agent checks readiness
  // in the background (`wait: false`) so that the lock can go.
  {
    Session session(ctx_, store_, workspace);
    start.id = session.id();
    start.redactor = redactor_of(session.record());
    start.what = fmt::format("start service `{}` in workspace `{}`", name, start.id);
    start.run = store_.run_dir(start.id);
    // Every way out of this block but a started service takes the added forwards away.
    ScopeExit undo([&]() noexcept { drop_service_forwards(session, start, /*holding_first_lock=*/true); });
    bool asked_agent = false;
    try {
      require_published_ports_policy(session.record(), options);
      const auto env = process_env(session.record(), options.env, options.secret_env);
      retire_earlier_service(session, start);
      add_service_forwards(session, start);
      asked_agent = true;
      // The deadline still allows for an agent that ignores `wait` and answers once ready.
      nlohmann::json reply = session.agent().call("service_start", service_start_params(name, command, env, options),
                                                  deadline_after(start.readiness_timeout + kCallTimeout));
      const std::string state = reply.at("state").get<std::string>();
      if (state == "running") {
        ServiceInfo info = start.running(reply);
        undo.release();
        return info;
      }
      if (state != "starting") throw start.failure_of(reply);
      start.started_at = reply.value("started_at", "");
      start.pid = reply.value("pid", int64_t{0});
      undo.release();  // from here on, await_service_ready owns the forwards
    } catch (const Error& e) {
      // What the service said is usually why it never became ready.
      const bool explain = asked_agent && (e.code() == ErrorCode::kDeadlineExceeded ||
                                           e.code() == ErrorCode::kFailedPrecondition);
      throw redacted(session.fail(explain ? with_service_log_tail(session, start, e) : e, start.what),
                     start.redactor);
    } catch (const nlohmann::json::exception& e) {
      throw Error(ErrorCode::kAgentProtocol, fmt::format("{}: malformed reply: {}", start.what, e.what()));
    }
  }
  return await_service_ready(start);
}

// 2. Until the agent decides: a short session per look, so that other operations on
// the workspace (exec, this service's logs, stop) go on meanwhile.
ServiceInfo WorkspaceManager::await_service_ready(ServiceStart& start) {
  const auto give_up = Clock::now() + start.readiness_timeout + kCallTimeout;
  const std::string& name = start.name;
  auto pause = kFirstReadinessPoll;
  for (;;) {
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 3 / 2, kMaxReadinessPoll);
    Session session(ctx_, store_, start.id);
    // Every way out of this look but a running service takes the added forwards away.
    ScopeExit undo([&]() noexcept { drop_service_forwards(session, start, /*holding_first_lock=*/false); });
    try {
      nlohmann::json status;
      try {
        status = session.agent().call("service_status", {{"name", name}}, deadline_after(kCallTimeout));
      } catch (const Error& e) {
        if (e.code() != ErrorCode::kNotFound) throw;
        throw Error(ErrorCode::kFailedPrecondition,
                    "the service vanished while its readiness was checked (was the VM restarted?)");
      }
      const std::string state = status.at("state").get<std::string>();
      // A restart (after it was ready) also moves started_at, but counts in restarts;
      // while starting, the pid never changes.
      if ((status.value("started_at", "") != start.started_at && status.value("restarts", 0u) == 0) ||
          (state == "starting" && status.value("pid", int64_t{0}) != start.pid)) {
        throw Error(ErrorCode::kFailedPrecondition,
                    "another service of that name replaced it while its readiness was checked");
      }
      if (state == "running") {
        ServiceInfo info = start.running(status);
        undo.release();
        return info;
      }
      if (state != "starting") throw with_service_log_tail(session, start, start.failure_of(status));
      if (Clock::now() < give_up) {
        undo.release();  // still starting: the next look owns the forwards
        continue;
      }
      try {
        session.agent().call("service_stop", {{"name", name}, {"grace_ms", 2000}},
                             deadline_after(std::chrono::seconds(2) + kCallTimeout));
      } catch (const Error& e) {
        log(LogLevel::kWarn, "workspace `{}`: stop service `{}` whose readiness was never decided: {}", start.id,
            name, e.what());
      }
      throw with_service_log_tail(
          session, start,
          Error(ErrorCode::kDeadlineExceeded,
                fmt::format("the agent did not decide within {} s whether the service is ready, so it was stopped",
                            std::chrono::duration_cast<std::chrono::seconds>(start.readiness_timeout + kCallTimeout)
                                .count())));
    } catch (const Error& e) {
      throw redacted(session.fail(e, start.what), start.redactor);
    } catch (const nlohmann::json::exception& e) {
      throw Error(ErrorCode::kAgentProtocol, fmt::format("{}: malformed service status: {}", start.what, e.what()));
    }
  }
}

std::vector<ServiceInfo> WorkspaceManager::list_services(const std::string& workspace) {
  Session session(ctx_, store_, workspace);
  const Redactor redactor = redactor_of(session.record());
  try {
    nlohmann::json reply = session.agent().call("service_list", nlohmann::json::object(), deadline_after(kCallTimeout));
    std::vector<ServiceInfo> out;
    for (const auto& s : checked_array(reply, "services", WorkspaceLimits::kMaxServices, "service_list answered")) {
      out.push_back(service_from_json(s));
    }
    attach_ports(session, out);
    return out;
  } catch (const Error& e) {
    throw redacted(session.fail(e, fmt::format("list services of workspace `{}`", session.id())), redactor);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kAgentProtocol, fmt::format("list services: malformed reply: {}", e.what()));
  }
}

ServiceInfo WorkspaceManager::status_service(const std::string& workspace, const std::string& name) {
  validate_service_name(name);
  Session session(ctx_, store_, workspace);
  const Redactor redactor = redactor_of(session.record());
  try {
    std::vector<ServiceInfo> one{
        service_from_json(session.agent().call("service_status", {{"name", name}}, deadline_after(kCallTimeout)))};
    attach_ports(session, one);
    return one.front();
  } catch (const Error& e) {
    throw redacted(session.fail(e, fmt::format("status of service `{}` in workspace `{}`", name, session.id())),
                   redactor);
  }
}

ServiceLogs WorkspaceManager::logs_service(const std::string& workspace, const std::string& name,
                                           const OutputReadOptions& options) {
  validate_service_name(name);
  validate_read_options(options);
  ServiceLogs logs;
  logs.name = name;
  logs.chunk = read_output(workspace, "service_logs", {{"name", name}}, options, /*tail=*/true,
                           fmt::format("read the log of service `{}` in workspace `{}`", name, workspace),
                           [&](Session& session, const nlohmann::json& reply) {
                             std::vector<ServiceInfo> one{service_from_json(reply.at("service"))};
                             attach_ports(session, one);
                             logs.service = one.front();
                           });
  return logs;
}

ServiceInfo WorkspaceManager::stop_service(const std::string& workspace, const std::string& name,
                                           const ServiceStopOptions& options) {
  validate_service_name(name);
  const std::string signal = normalize_signal(options.signal, /*shell=*/false);
  if (!std::isfinite(options.grace_seconds) || options.grace_seconds < 0 || options.grace_seconds > 600) {
    invalid(fmt::format("check `grace_seconds`: {} is not in [0, 600]", options.grace_seconds));
  }
  Session session(ctx_, store_, workspace);
  const Redactor redactor = redactor_of(session.record());
  try {
    const auto grace = ms_of(options.grace_seconds);
    ServiceInfo info = service_from_json(session.agent().call(
        "service_stop", {{"name", name}, {"signal", signal}, {"grace_ms", grace.count()}},
        deadline_after(grace + kCallTimeout)));
    const std::string run = store_.run_dir(session.id());
    PortTable table = load_port_table(run);
    if (auto it = table.find(name); it != table.end()) {
      remove_forwards(session, it->second.ports);
      table.erase(it);
      save_port_table(run, table);
    }
    return info;
  } catch (const Error& e) {
    throw redacted(session.fail(e, fmt::format("stop service `{}` in workspace `{}`", name, session.id())),
                   redactor);
  }
}

}  // namespace pyro::detail

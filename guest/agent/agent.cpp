// Request dispatch for the guest agent.
#include "agent.hpp"

#include <sys/reboot.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "agent_error.hpp"
#include "exec.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "protocol/message.hpp"
#include "restore.hpp"

namespace pyro::agent {
namespace {

using nlohmann::json;

std::string kernel_release() {
  utsname u{};
  if (::uname(&u) != 0) return "";
  return u.release;
}

std::string boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

void check_hello_params(const json& params) {
  auto it = params.find("protocol");
  if (it == params.end() || it->is_null()) return;
  if (!it->is_object() || !it->value("major", json()).is_number_unsigned() ||
      !it->value("minor", json()).is_number_unsigned()) {
    throw AgentError("invalid_argument", "hello: `protocol` needs integer `major` and `minor`");
  }
}

}  // namespace

json Agent::hello_fields() const {
  json fields = {
      {"protocol", {{"major", protocol::kProtocolMajor}, {"minor", protocol::kProtocolMinor}}},
      {"agent_version", kAgentVersion},
      {"methods", {"hello", "ping", "exec", "exec_cancel", "shutdown", "restore", "workspace_mount", "fs_stat", "fs_list",
                   "fs_read", "fs_manifest", "fs_apply", "sync", "service_start", "service_list", "service_status",
                   "service_logs", "service_stop", "shell_open", "shell_write", "shell_read", "shell_resize",
                   "shell_signal", "shell_close"}},
      {"features", json::array()},
      {"kernel", kernel_release()},
  };
  if (std::string id = boot_id(); !id.empty()) fields["boot_id"] = id;
  return fields;
}

void Agent::handle(const std::shared_ptr<Connection>& conn, const protocol::Frame& frame) noexcept {
  if (frame.type != protocol::FrameType::kRequest) return;  // stdin data etc.: not supported yet
  if (frame.stream == 0) {
    log_line("ignore request on stream 0: stream 0 is reserved for events");
    return;
  }
  try {
    protocol::Request request;
    try {
      request = protocol::parse_request(frame);
    } catch (const protocol::ProtocolError& e) {
      throw AgentError("invalid_argument", e.what());
    }
    dispatch(conn, frame.stream, request.method, request.params);
  } catch (const AgentError& e) {
    conn->send(protocol::make_error_response(frame.stream, e.code(), e.what()));
  } catch (const std::exception& e) {
    conn->send(protocol::make_error_response(frame.stream, "internal", e.what()));
  } catch (...) {
    conn->send(protocol::make_error_response(frame.stream, "internal", "unknown failure"));
  }
}

void Agent::dispatch(const std::shared_ptr<Connection>& conn, uint32_t stream,
                     const std::string& method, const json& params) {
  if (method == "hello") {
    check_hello_params(params);
    conn->send(protocol::make_response(stream, hello_fields()));
  } else if (method == "ping") {
    conn->send(protocol::make_response(stream, json::object()));
  } else if (method == "exec") {
    ExecSpec spec = parse_exec_params(params);
    // Registered here, by the reader thread, so an `exec_cancel` read next finds it.
    std::shared_ptr<CancelFlag> cancel = cancels_.enter(conn.get(), stream);
    // Each command gets its own thread so several streams can run at once.
    std::thread([conn, stream, spec = std::move(spec), cancel, &reaper = reaper_, &cancels = cancels_] {
      run_exec(*conn, reaper, stream, spec, *cancel);
      cancels.leave(conn.get(), stream);
    }).detach();
  } else if (method == "exec_cancel") {
    // Inline: it only fires a flag; the exec's thread kills and answers.
    const uint32_t target = parse_exec_cancel_params(params);
    conn->send(protocol::make_response(stream, {{"found", cancels_.cancel(conn.get(), target)}}));
  } else if (method == "restore") {
    // Runs inline: the host waits for it before sending anything else.
    run_restore(params, is_pid1_);
    conn->send(protocol::make_response(stream, json::object()));
  } else if (method == "shutdown") {
    conn->send(protocol::make_response(stream, json::object()));
    terminate();
  } else if (!dispatch_workspace(conn, stream, method, params)) {
    throw AgentError("unimplemented", "unknown method `" + method + "`");
  }
}

bool Agent::dispatch_workspace(const std::shared_ptr<Connection>& conn, uint32_t stream,
                               const std::string& method, const json& params) {
  std::function<json()> run;
  Workspace& ws = workspace_;
  if (method == "fs_stat") {
    run = [&ws, params] { return fs_stat(ws, params); };
  } else if (method == "fs_list") {
    run = [&ws, params] { return fs_list(ws, params); };
  } else if (method == "fs_manifest") {
    run = [&ws, params] { return fs_manifest(ws, params); };
  } else if (method == "fs_read") {
    run = [&ws, params, conn, stream] { return fs_read(ws, *conn, stream, params); };
  } else if (method == "fs_apply") {
    run = [&ws, params] { return fs_apply(ws, params); };
  } else if (method == "workspace_mount") {
    run = [&ws, params, pid1 = is_pid1_] { return workspace_mount(ws, params, pid1); };
  } else if (method == "sync") {
    run = [&ws, params, pid1 = is_pid1_] { return fs_sync(ws, params, pid1); };
  } else if (!(run = process_method(method, params))) {
    return false;
  }
  // File work can take long (hashing, big reads): it must not stall the reader
  // thread, so each request gets its own thread, like exec.
  std::thread([conn, stream, method, run = std::move(run)] {
    try {
      conn->send(protocol::make_response(stream, run()));
    } catch (const AgentError& e) {
      conn->send(protocol::make_error_response(stream, e.code(), e.what()));
    } catch (const std::exception& e) {
      conn->send(protocol::make_error_response(stream, "internal", method + ": " + e.what()));
    } catch (...) {
      conn->send(protocol::make_error_response(stream, "internal", method + ": unknown failure"));
    }
  }).detach();
  return true;
}

std::function<json()> Agent::process_method(const std::string& method, const json& params) {
  Services& sv = services_;
  Shells& sh = shells_;
  if (method == "service_start") return [&sv, params] { return sv.start(params); };
  if (method == "service_list") return [&sv] { return sv.list(); };
  if (method == "service_status") return [&sv, params] { return sv.status(params); };
  if (method == "service_logs") return [&sv, params] { return sv.logs(params); };
  if (method == "service_stop") return [&sv, params] { return sv.stop(params); };
  if (method == "shell_open") return [&sh, params] { return sh.open(params); };
  if (method == "shell_write") return [&sh, params] { return sh.write(params); };
  if (method == "shell_read") return [&sh, params] { return sh.read(params); };
  if (method == "shell_resize") return [&sh, params] { return sh.resize(params); };
  if (method == "shell_signal") return [&sh, params] { return sh.signal(params); };
  if (method == "shell_close") return [&sh, params] { return sh.close(params); };
  return {};
}

void Agent::terminate(int exit_code) noexcept {
  // Services, shells and readiness commands are watched children too.
  reaper_.kill_all();
  // Waits for a running fs_apply: a batch is never cut off half done.
  std::unique_lock<std::shared_mutex> no_more_edits(workspace_.lock());
  ::sync();
  if (is_pid1_) {
    ::reboot(RB_POWER_OFF);
    // Returning from PID 1 would panic the kernel; say why and stay up instead.
    log_line(std::string("power off: ") + std::strerror(errno));
    for (;;) ::pause();
  }
  ::_exit(exit_code);
}

}  // namespace pyro::agent

// Request dispatch for the guest agent.
#include "agent.hpp"

#include <sys/reboot.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#include "agent_error.hpp"
#include "exec.hpp"
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
      {"methods", {"hello", "ping", "exec", "shutdown", "restore"}},
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
    // Each command gets its own thread so several streams can run at once.
    std::thread([conn, stream, spec = std::move(spec), &reaper = reaper_] {
      run_exec(*conn, reaper, stream, spec);
    }).detach();
  } else if (method == "restore") {
    // Runs inline: the host waits for it before sending anything else.
    run_restore(params, is_pid1_);
    conn->send(protocol::make_response(stream, json::object()));
  } else if (method == "shutdown") {
    conn->send(protocol::make_response(stream, json::object()));
    terminate();
  } else {
    throw AgentError("unimplemented", "unknown method `" + method + "`");
  }
}

void Agent::terminate(int exit_code) noexcept {
  reaper_.kill_all();
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

#include "mcp/server.hpp"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <new>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "interrupt.hpp"
#include "json_types.hpp"
#include "mcp/dispatch.hpp"
#include "mcp/line_reader.hpp"
#include "mcp/protocol.hpp"
#include "pyro/version.hpp"

namespace pyro_mcp {
namespace {

using nlohmann::json;

constexpr std::string_view kInstructions =
    "pyro runs shell commands in throwaway QEMU microVMs (vm_run) and, with a workspace "
    "profile, in persistent sandboxes whose /workspace survives between calls. Failures of "
    "a call are results with isError true and structuredContent.error.code.";

// A pyro failure as a tool result: the model reads the message, code reads structuredContent.
json error_result(pyro::ErrorCode code, const std::string& message) {
  return {
      {"content", json::array({{{"type", "text"}, {"text", message}}})},
      {"structuredContent", {{"error", pyro_json::to_json(pyro::Error(code, message))}}},
      {"isError", true},
  };
}

json success_result(json structured) {
  std::string text = structured.dump(-1, ' ', false, json::error_handler_t::replace);
  return {
      {"content", json::array({{{"type", "text"}, {"text", std::move(text)}}})},
      {"structuredContent", std::move(structured)},
      {"isError", false},
  };
}

class Server {
 public:
  explicit Server(const ServerOptions& options)
      : client_(options.client), tools_(tools_for_profile(options.profile)) {}

  int run();

 private:
  void handle_line(const std::string& line);
  void handle_request(const json& id, const std::string& method, const json& params);
  void handle_notification(const std::string& method, const json& params);
  void start_call(const json& id, const json& params);
  json call_tool(const ToolSpec& tool, const json& arguments);
  void finish_call(const json& id, const json& result);
  void send(const json& message);
  void wait_for_calls();

  pyro::Pyro client_;
  std::vector<ToolSpec> tools_;

  std::mutex out_mutex_;  ///< one whole line per write
  bool out_broken_ = false;

  std::mutex calls_mutex_;
  std::condition_variable calls_done_;
  std::set<std::string> in_flight_;  ///< ids (as JSON text) of running tool calls
  std::set<std::string> cancelled_;  ///< their subset the client cancelled
};

void Server::send(const json& message) {
  std::string line = to_line(message);
  std::lock_guard lock(out_mutex_);
  if (out_broken_) return;
  if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size() || std::fflush(stdout) != 0) {
    out_broken_ = true;  // the client went away; the loop ends at its EOF
  }
}

void Server::handle_line(const std::string& line) {
  if (line.find_first_not_of(" \t") == std::string::npos) return;
  json message = json::parse(line, nullptr, false);
  if (message.is_discarded()) {
    send(error_response(nullptr, kParseError, "parse error: the line is not JSON"));
    return;
  }
  if (!message.is_object()) {
    // Batches were removed in 2025-06-18; nothing else is a message.
    send(error_response(nullptr, kInvalidRequest, "invalid request: expected one JSON-RPC object"));
    return;
  }
  auto id_it = message.find("id");
  bool has_id = id_it != message.end();
  json id = has_id ? *id_it : json();
  if (has_id && !id.is_string() && !id.is_number_integer() && !id.is_number_unsigned()) {
    send(error_response(nullptr, kInvalidRequest, "invalid request: `id` must be a string or an integer"));
    return;
  }
  auto method_it = message.find("method");
  if (method_it == message.end()) {
    if (message.contains("result") || message.contains("error")) return;  // we send no requests
    send(error_response(id, kInvalidRequest, "invalid request: no `method`"));
    return;
  }
  if (message.value("jsonrpc", json()) != "2.0" || !method_it->is_string()) {
    if (has_id) {
      send(error_response(id, kInvalidRequest,
                          "invalid request: needs \"jsonrpc\": \"2.0\" and a string `method`"));
    }
    return;
  }
  json params = message.value("params", json::object());
  if (!params.is_object()) {
    if (has_id) send(error_response(id, kInvalidParams, "invalid params: `params` must be an object"));
    return;
  }
  if (has_id) {
    handle_request(id, method_it->get<std::string>(), params);
  } else {
    handle_notification(method_it->get<std::string>(), params);
  }
}

void Server::handle_request(const json& id, const std::string& method, const json& params) {
  if (method == "initialize") {
    auto version = params.find("protocolVersion");
    if (version == params.end() || !version->is_string()) {
      send(error_response(id, kInvalidParams, "invalid params: `protocolVersion` must be a string"));
      return;
    }
    send(response(id, {
        {"protocolVersion", negotiate_protocol_version(version->get<std::string>())},
        {"capabilities", {{"tools", {{"listChanged", false}}}}},
        {"serverInfo", {{"name", "pyro"}, {"title", "pyro microVM sandboxes"}, {"version", pyro::version()}}},
        {"instructions", kInstructions},
    }));
  } else if (method == "ping") {
    send(response(id, json::object()));
  } else if (method == "tools/list") {
    json tools = json::array();
    for (const auto& tool : tools_) tools.push_back(tool_definition(tool));
    send(response(id, {{"tools", std::move(tools)}}));
  } else if (method == "tools/call") {
    start_call(id, params);
  } else {
    send(error_response(id, kMethodNotFound, fmt::format("method not found: `{}`", method)));
  }
}

void Server::handle_notification(const std::string& method, const json& params) {
  if (method == "notifications/cancelled") {
    // The operation itself runs on (the API has no cancel); only its answer is dropped.
    std::string key = params.value("requestId", json()).dump();
    std::lock_guard lock(calls_mutex_);
    if (in_flight_.contains(key)) cancelled_.insert(key);
  }
  // notifications/initialized and anything unknown need no action.
}

void Server::start_call(const json& id, const json& params) {
  auto name = params.find("name");
  if (name == params.end() || !name->is_string()) {
    send(error_response(id, kInvalidParams, "invalid params: `name` must be a string"));
    return;
  }
  json arguments = params.value("arguments", json::object());
  if (!arguments.is_object() && !arguments.is_null()) {
    send(error_response(id, kInvalidParams, "invalid params: `arguments` must be an object"));
    return;
  }
  const ToolSpec* tool = nullptr;
  for (const auto& t : tools_) {
    if (t.name == *name) tool = &t;
  }
  if (tool == nullptr) {
    send(error_response(id, kInvalidParams, fmt::format("unknown tool: `{}`", name->get<std::string>())));
    return;
  }
  {
    std::lock_guard lock(calls_mutex_);
    if (!in_flight_.insert(id.dump()).second) {
      send(error_response(id, kInvalidRequest, "invalid request: this id is already in use"));
      return;
    }
  }
  std::thread([this, id, tool, arguments] { finish_call(id, call_tool(*tool, arguments)); }).detach();
}

json Server::call_tool(const ToolSpec& tool, const json& arguments) {
  try {
    Arguments args(tool, arguments);
    Dispatcher dispatch = find_dispatcher(tool.operation);
    if (dispatch == nullptr) {
      throw pyro::Error(pyro::ErrorCode::kUnimplemented,
                        fmt::format("call `{}`: this server cannot run operation `{}` yet",
                                    tool.name, tool.operation));
    }
    return success_result(dispatch(client_, args));
  } catch (const pyro::Error& e) {
    return error_result(e.code(), e.what());
  } catch (const std::bad_alloc&) {
    return error_result(pyro::ErrorCode::kResourceExhausted, fmt::format("call `{}`: out of memory", tool.name));
  } catch (const std::exception& e) {
    return error_result(pyro::ErrorCode::kInternal, fmt::format("call `{}`: {}", tool.name, e.what()));
  }
}

void Server::finish_call(const json& id, const json& result) {
  bool cancelled = false;
  {
    std::lock_guard lock(calls_mutex_);
    cancelled = cancelled_.erase(id.dump()) > 0;
  }
  if (!cancelled) send(response(id, result));
  std::lock_guard lock(calls_mutex_);
  in_flight_.erase(id.dump());
  calls_done_.notify_all();
}

void Server::wait_for_calls() {
  std::unique_lock lock(calls_mutex_);
  calls_done_.wait(lock, [this] { return in_flight_.empty(); });
}

int Server::run() {
  // Signals end the VMs of calls in flight (InterruptGuard); the loop then stops
  // reading, waits for those calls and lets main report the signal.
  pyro_cli::InterruptGuard guard(client_);
  LineReader reader(STDIN_FILENO);
  bool interrupted = false;
  while (!interrupted && !reader.eof()) {
    if (auto line = reader.next(std::chrono::milliseconds(200))) handle_line(*line);
    try {
      guard.check();
    } catch (const pyro_cli::Interrupted&) {
      interrupted = true;
    }
  }
  wait_for_calls();
  guard.check();
  return 0;
}

}  // namespace

int serve(const ServerOptions& options) {
  // A client that closes our stdout must not kill us mid-call with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  Server server(options);
  if (options.verbosity > 0) {
    std::string note = fmt::format("pyro: mcp: serving {} tools on stdin/stdout\n",
                                   tools_for_profile(options.profile).size());
    std::fwrite(note.data(), 1, note.size(), stderr);
  }
  return server.run();
}

}  // namespace pyro_mcp

#include "mcp/session.hpp"

#include <utility>

#include <fmt/format.h>

#include "mcp/protocol.hpp"
#include "pyro/operations.hpp"
#include "pyro/version.hpp"

namespace pyro_mcp {
namespace {

using nlohmann::json;

constexpr std::string_view kInstructions =
    "pyro runs shell commands in throwaway QEMU microVMs (vm_run) and, with a workspace "
    "profile, in persistent sandboxes whose /workspace survives between calls. Failures of "
    "a call are results with isError true and structuredContent.error.code.";

// Deeper messages are refused: no tool needs them, and nlohmann/json copies and
// serialises values recursively, so a line of a million `[` would overflow the stack.
constexpr int kMaxDepth = 64;
struct TooDeep {};

// The message of `line`; discarded when it is not JSON; throws TooDeep.
json parse_message(const std::string& line) {
  return json::parse(
      line,
      [](int depth, json::parse_event_t, json&) {
        if (depth > kMaxDepth) throw TooDeep{};
        return true;
      },
      /*allow_exceptions=*/false);
}

// `_meta.progressToken` when it is a token (a string or integer), else null.
json progress_token(const json& params) {
  auto meta = params.find("_meta");
  if (meta == params.end() || !meta->is_object()) return nullptr;
  auto token = meta->find("progressToken");
  if (token == meta->end() || !(token->is_string() || token->is_number_integer())) return nullptr;
  return *token;
}

}  // namespace

Session::Session(json tools, Send send, Launch launch)
    : tools_(std::move(tools)), send_(std::move(send)), launch_(std::move(launch)) {}

void Session::handle_line(const std::string& line) {
  if (line.find_first_not_of(" \t") == std::string::npos) return;
  json message;
  try {
    message = parse_message(line);
  } catch (const TooDeep&) {
    send_(error_response(nullptr, kParseError,
                         fmt::format("parse error: the message nests deeper than {} levels", kMaxDepth)));
    return;
  }
  if (message.is_discarded()) {
    send_(error_response(nullptr, kParseError, "parse error: the line is not JSON"));
    return;
  }
  if (!message.is_object()) {
    // Batches were removed in 2025-06-18; nothing else is a message.
    send_(error_response(nullptr, kInvalidRequest, "invalid request: expected one JSON-RPC object"));
    return;
  }
  auto id_it = message.find("id");
  bool has_id = id_it != message.end();
  json id = has_id ? *id_it : json();
  if (has_id && !id.is_string() && !id.is_number_integer() && !id.is_number_unsigned()) {
    send_(error_response(nullptr, kInvalidRequest, "invalid request: `id` must be a string or an integer"));
    return;
  }
  auto method_it = message.find("method");
  if (method_it == message.end()) {
    if (message.contains("result") || message.contains("error")) return;  // we send no requests
    send_(error_response(id, kInvalidRequest, "invalid request: no `method`"));
    return;
  }
  if (message.value("jsonrpc", json()) != "2.0" || !method_it->is_string()) {
    if (has_id) {
      send_(error_response(id, kInvalidRequest,
                           "invalid request: needs \"jsonrpc\": \"2.0\" and a string `method`"));
    }
    return;
  }
  json params = message.value("params", json::object());
  if (!params.is_object()) {
    if (has_id) send_(error_response(id, kInvalidParams, "invalid params: `params` must be an object"));
    return;
  }
  if (has_id) {
    handle_request(id, method_it->get<std::string>(), params);
  } else {
    handle_notification(method_it->get<std::string>(), params);
  }
}

void Session::handle_request(const json& id, const std::string& method, const json& params) {
  if (method == "initialize") {
    auto version = params.find("protocolVersion");
    if (version == params.end() || !version->is_string()) {
      send_(error_response(id, kInvalidParams, "invalid params: `protocolVersion` must be a string"));
      return;
    }
    send_(response(id, {
        {"protocolVersion", negotiate_protocol_version(version->get<std::string>())},
        {"capabilities", {{"tools", {{"listChanged", false}}}}},
        {"serverInfo", {{"name", "pyro"}, {"title", "pyro microVM sandboxes"}, {"version", pyro::version()}}},
        {"instructions", kInstructions},
    }));
  } else if (method == "ping") {
    send_(response(id, json::object()));
  } else if (method == "tools/list") {
    send_(response(id, {{"tools", tools_}}));
  } else if (method == "tools/call") {
    start_call(id, params);
  } else {
    send_(error_response(id, kMethodNotFound, fmt::format("method not found: `{}`", method)));
  }
}

void Session::handle_notification(const std::string& method, const json& params) {
  if (method == "notifications/cancelled") {
    // Its answer is dropped; a guest command it runs is cancelled (other operations
    // run to their end: the API cancels only commands).
    std::string key = params.value("requestId", json()).dump();
    std::lock_guard lock(calls_mutex_);
    if (in_flight_.contains(key)) {
      cancelled_.insert(key);
      if (auto token = tokens_.find(key); token != tokens_.end()) token->second.cancel();
    }
  }
  // notifications/initialized and anything unknown need no action.
}

void Session::start_call(const json& id, const json& params) {
  auto name = params.find("name");
  if (name == params.end() || !name->is_string()) {
    send_(error_response(id, kInvalidParams, "invalid params: `name` must be a string"));
    return;
  }
  json arguments = params.value("arguments", json::object());
  if (!arguments.is_object() && !arguments.is_null()) {
    send_(error_response(id, kInvalidParams, "invalid params: `arguments` must be an object"));
    return;
  }
  // A tool may be called by an alias (its operation's table name, "start_service"
  // for service_start); the core resolves it, and only canonical names are listed.
  const std::string tool_name = pyro::tool_name(name->get<std::string>());
  bool listed = false;
  for (const auto& tool : tools_) listed = listed || (!tool_name.empty() && tool.value("name", "") == tool_name);
  if (!listed) {
    send_(error_response(id, kInvalidParams, fmt::format("unknown tool: `{}`", name->get<std::string>())));
    return;
  }
  {
    std::lock_guard lock(calls_mutex_);
    if (!in_flight_.insert(id.dump()).second) {
      send_(error_response(id, kInvalidRequest, "invalid request: this id is already in use"));
      return;
    }
    tokens_[id.dump()] = pyro::CancelToken();
  }
  launch_(id, name->get<std::string>(), arguments, progress_token(params));
}

void Session::finish_call(const json& id, const json& result) {
  bool cancelled = false;
  {
    std::lock_guard lock(calls_mutex_);
    cancelled = cancelled_.erase(id.dump()) > 0;
  }
  if (!cancelled) send_(response(id, result));
  std::lock_guard lock(calls_mutex_);
  in_flight_.erase(id.dump());
  tokens_.erase(id.dump());
  calls_done_.notify_all();
}

pyro::CancelToken Session::cancel_token(const json& id) {
  std::lock_guard lock(calls_mutex_);
  auto token = tokens_.find(id.dump());
  return token != tokens_.end() ? token->second : pyro::CancelToken();
}

void Session::wait_for_calls() {
  std::unique_lock lock(calls_mutex_);
  calls_done_.wait(lock, [this] { return in_flight_.empty(); });
}

}  // namespace pyro_mcp

#include "mcp/server.hpp"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <new>
#include <thread>

#include <fmt/format.h>

#include "interrupt.hpp"
#include "json_types.hpp"
#include "mcp/dispatch.hpp"
#include "mcp/line_reader.hpp"
#include "mcp/protocol.hpp"
#include "mcp/session.hpp"

namespace pyro_mcp {
namespace {

using nlohmann::json;

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
      : client_(options.client),
        session_(
            tools_for_profile(options.profile), [this](const json& message) { send(message); },
            [this](const json& id, const ToolSpec& tool, const json& arguments) {
              std::thread([this, id, &tool, arguments] {
                session_.finish_call(id, call_tool(tool, arguments));
              }).detach();
            }) {}

  int run();

 private:
  json call_tool(const ToolSpec& tool, const json& arguments);
  void send(const json& message);

  pyro::Pyro client_;
  std::mutex out_mutex_;  ///< one whole line per write
  bool out_broken_ = false;
  Session session_;  ///< last: its callbacks use the members above
};

void Server::send(const json& message) {
  std::string line = to_line(message);
  std::lock_guard lock(out_mutex_);
  if (out_broken_) return;
  if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size() || std::fflush(stdout) != 0) {
    out_broken_ = true;  // the client went away; the loop ends at its EOF
  }
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

int Server::run() {
  // Signals end the VMs of calls in flight (InterruptGuard); the loop then stops
  // reading, waits for those calls and lets main report the signal.
  pyro_cli::InterruptGuard guard(client_);
  LineReader reader(STDIN_FILENO);
  bool interrupted = false;
  while (!interrupted && !reader.eof()) {
    if (auto line = reader.next(std::chrono::milliseconds(200))) session_.handle_line(*line);
    try {
      guard.check();
    } catch (const pyro_cli::Interrupted&) {
      interrupted = true;
    }
  }
  session_.wait_for_calls();
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

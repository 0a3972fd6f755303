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
#include "mcp/line_reader.hpp"
#include "mcp/protocol.hpp"
#include "mcp/session.hpp"
#include "output.hpp"
#include "progress_printer.hpp"
#include "pyro/json.hpp"
#include "pyro/operations.hpp"

namespace pyro_mcp {
namespace {

using nlohmann::json;

// A pyro failure as a tool result: the model reads the message, code reads structuredContent.
json error_result(pyro::ErrorCode code, const std::string& message) {
  return {
      {"content", json::array({{{"type", "text"}, {"text", message}}})},
      {"structuredContent", {{"error", json::parse(pyro::to_json(pyro::Error(code, message)))}}},
      {"isError", true},
  };
}

// `structured`: the result's JSON text from Pyro::call, sent as it is for the model.
json success_result(std::string structured) {
  json parsed = json::parse(structured);
  return {
      {"content", json::array({{{"type", "text"}, {"text", std::move(structured)}}})},
      {"structuredContent", std::move(parsed)},
      {"isError", false},
  };
}

// MCP requires `progress` to grow with every notification, and a stage's `done`
// starts again from 0: the value is the notification's ordinal, with no total, and
// the stage's own counter goes into the message ("copy seed: a.txt (42% 1.2 MiB of 3.0 MiB)").
json progress_notification(const json& token, uint64_t ordinal, const pyro::Progress& progress) {
  return {{"jsonrpc", "2.0"},
          {"method", "notifications/progress"},
          {"params", {{"progressToken", token}, {"progress", ordinal}, {"message", pyro_cli::progress_line(progress)}}}};
}

// A chunk of a running command's output (run_in_vm, exec_vm, exec_workspace), as
// it arrives: `message` is the chunk as text (redacted in workspaces; invalid UTF-8,
// also a character cut by the chunk boundary, becomes U+FFFD), `_meta` says which
// stream ("pyro/stream": "stdout" or "stderr").
json output_notification(const json& token, uint64_t ordinal, const pyro::LiveOutput& chunk) {
  return {{"jsonrpc", "2.0"},
          {"method", "notifications/progress"},
          {"params",
           {{"progressToken", token},
            {"progress", ordinal},
            {"message", std::string(chunk.data)},
            {"_meta", {{"pyro/stream", chunk.stream == pyro::OutputStream::kStderr ? "stderr" : "stdout"}}}}}};
}

class Server {
 public:
  explicit Server(const ServerOptions& options)
      : client_(options.client),
        session_(
            json::parse(pyro::tool_definitions_json(options.profile)),
            [this](const json& message) { send(message); },
            [this](const json& id, const std::string& tool, const json& arguments, const json& token) {
              // Taken here, before the thread: a cancel that arrives at once finds it.
              pyro::CancelToken cancel = session_.cancel_token(id);
              std::thread([this, id, tool, arguments, token, cancel] {
                // The response goes out after the call's last notifications/progress:
                // both are sent from this thread, through the one serialized send().
                session_.finish_call(id, call_tool(tool, arguments, token, cancel));
              }).detach();
            }) {}

  int run();
  size_t tool_count() const { return session_.tool_count(); }

 private:
  json call_tool(const std::string& tool, const json& arguments, const json& progress_token,
                 const pyro::CancelToken& cancel);
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

// A transport only: the core checks the arguments, runs the operation and gives
// the result's JSON form.
json Server::call_tool(const std::string& tool, const json& arguments, const json& progress_token,
                      const pyro::CancelToken& cancel) {
  try {
    pyro::CallOptions call;
    call.cancel = cancel;
    // Without a token: plain lines on stderr (stdout belongs to the protocol).
    pyro_cli::ProgressPrinter lines(stderr, false);
    uint64_t count = 0;  // one ordinal for progress and output notifications
    if (progress_token.is_null()) {
      call.progress = lines.handler();
    } else {
      call.progress = [this, &progress_token, &count](const pyro::Progress& p) {
        send(progress_notification(progress_token, ++count, p));
      };
      call.on_output = [this, &progress_token, &count](const pyro::LiveOutput& chunk) {
        send(output_notification(progress_token, ++count, chunk));
      };
    }
    return success_result(client_.call(tool, arguments.dump(), call));
  } catch (const pyro::Error& e) {
    return error_result(e.code(), e.what());
  } catch (const std::bad_alloc&) {
    return error_result(pyro::ErrorCode::kResourceExhausted, fmt::format("call `{}`: out of memory", tool));
  } catch (const std::exception& e) {
    return error_result(pyro::ErrorCode::kInternal, fmt::format("call `{}`: {}", tool, e.what()));
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
    std::string note = fmt::format("pyro: mcp: serving {} tools on stdin/stdout\n", server.tool_count());
    std::fwrite(note.data(), 1, note.size(), stderr);
  }
  return server.run();
}

}  // namespace pyro_mcp

// The JSON-RPC side of `pyro mcp serve` without I/O, threads or VMs: one input line
// in, protocol messages out through `send`, tool calls handed to `launch`. The server
// (server.cpp) wires it to stdin/stdout and a pyro::Pyro; the fuzz target
// (tests/fuzz/fuzz_mcp_line.cpp) to a sink and a launcher that only checks arguments.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pyro/types.hpp"

namespace pyro_mcp {

class Session {
 public:
  /// Sends one message to the client; called from any thread.
  using Send = std::function<void(const nlohmann::json& message)>;
  /// Runs a tools/call of a listed tool (`tool` as the client spelled it: the tool
  /// name or an alias) whose id is registered; must end with
  /// finish_call(id, result), possibly later and on another thread. `arguments` is
  /// an object or null; checking them is the core's job (Pyro::call).
  /// `progress_token`: the call's `_meta.progressToken` (a string or integer), or
  /// null when the client wants no notifications/progress.
  using Launch = std::function<void(const nlohmann::json& id, const std::string& tool,
                                    const nlohmann::json& arguments, const nlohmann::json& progress_token)>;

  /// `tools`: the MCP Tool objects to offer (pyro::tool_definitions_json).
  Session(nlohmann::json tools, Send send, Launch launch);

  /// Handles one line of input (without its newline).
  void handle_line(const std::string& line);
  /// Sends the result of a launched call, unless the client cancelled it.
  void finish_call(const nlohmann::json& id, const nlohmann::json& result);
  /// The cancel token of a launched call: notifications/cancelled of its id cancels
  /// it (run_in_vm, exec_vm and exec_workspace then stop the guest command). A
  /// fresh token for an id not in flight.
  pyro::CancelToken cancel_token(const nlohmann::json& id);
  /// Blocks until every launched call has finished.
  void wait_for_calls();
  /// How many tools this session offers.
  size_t tool_count() const { return tools_.size(); }

 private:
  void handle_request(const nlohmann::json& id, const std::string& method, const nlohmann::json& params);
  void handle_notification(const std::string& method, const nlohmann::json& params);
  void start_call(const nlohmann::json& id, const nlohmann::json& params);

  nlohmann::json tools_;  ///< array of Tool objects
  Send send_;
  Launch launch_;

  std::mutex calls_mutex_;
  std::condition_variable calls_done_;
  std::set<std::string> in_flight_;  ///< ids (as JSON text) of running tool calls
  std::set<std::string> cancelled_;  ///< their subset the client cancelled
  std::map<std::string, pyro::CancelToken> tokens_;  ///< of each running tool call
};

}  // namespace pyro_mcp

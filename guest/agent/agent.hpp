// Request dispatch: `hello`, `ping`, `exec`, `shutdown`, `restore` (docs/agent-protocol.md).
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "connection.hpp"
#include "reaper.hpp"

namespace pyro::agent {

inline constexpr const char* kAgentVersion = "0.1.0";

class Agent {
 public:
  Agent(Reaper& reaper, bool is_pid1) : reaper_(reaper), is_pid1_(is_pid1) {}

  /// Fields of the `hello` event and of the `hello` result.
  nlohmann::json hello_fields() const;

  /// Handles one frame from the host. Requests are answered on their stream (exec
  /// in its own thread, which keeps `conn` alive); other frames are ignored.
  /// Never throws.
  void handle(const std::shared_ptr<Connection>& conn, const protocol::Frame& frame) noexcept;

  /// Kills running commands and ends the process with `exit_code` (as PID 1: syncs
  /// and powers the VM off instead).
  [[noreturn]] void terminate(int exit_code = 0) noexcept;

 private:
  void dispatch(const std::shared_ptr<Connection>& conn, uint32_t stream,
                const std::string& method, const nlohmann::json& params);

  Reaper& reaper_;
  bool is_pid1_;
};

}  // namespace pyro::agent

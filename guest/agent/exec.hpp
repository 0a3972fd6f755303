// The `exec` method: run one command, stream its output as data frames, answer
// with its exit status (docs/agent-protocol.md, "exec").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "connection.hpp"
#include "exec_cancel.hpp"
#include "reaper.hpp"

namespace pyro::agent {

struct ExecSpec {
  std::vector<std::string> argv;        // for `command`: sh -c <command>
  std::vector<std::string> candidates;  // paths to try with execve, in order
  std::vector<std::string> env;         // "NAME=value"
  std::string cwd = "/";
  int64_t timeout_ms = 30000;
  uint64_t stdout_limit = 1u << 20;
  uint64_t stderr_limit = 1u << 20;
};

/// Validates exec params and resolves the program. Throws AgentError
/// (`invalid_argument`, or `not_found` for a missing `cwd`).
ExecSpec parse_exec_params(const nlohmann::json& params);

/// The `stream` param of `exec_cancel`: the stream of the exec to stop. Throws
/// AgentError(`invalid_argument`).
uint32_t parse_exec_cancel_params(const nlohmann::json& params);

/// Runs the command and sends its data frames and the final response (or error
/// response) on `stream`. Once `cancel` fires, the command's process group is
/// killed and the response says `cancelled`. Blocks until done; never throws.
void run_exec(Connection& conn, Reaper& reaper, uint32_t stream, const ExecSpec& spec,
              const CancelFlag& cancel) noexcept;

}  // namespace pyro::agent

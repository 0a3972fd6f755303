// Readiness checks of service_start: file, tcp, http and command
// (docs/agent-protocol.md, "service_start").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reaper.hpp"

namespace pyro::agent {

struct ReadinessSpec {
  std::string type;  // "" when the service is ready once spawned
  std::string path;
  uint16_t port = 0;
  std::string url;
  std::string command;
  int64_t timeout_ms = 30000;
  int64_t interval_ms = 200;
};

/// Validates params["readiness"]. Throws AgentError `invalid_argument`.
ReadinessSpec parse_readiness(const nlohmann::json& params);

struct CheckOutcome {
  bool ok = false;
  std::string reason;  // "http http://127.0.0.1:8080/: connection refused"
};

/// Where a check runs: the service's cwd and environment.
struct CheckContext {
  std::string cwd;
  std::vector<std::string> env;
  Reaper* reaper = nullptr;
};

/// One attempt; never takes longer than `budget_ms` (at least a few ms). Never throws.
CheckOutcome check_ready(const ReadinessSpec& spec, const CheckContext& ctx, int64_t budget_ms) noexcept;

}  // namespace pyro::agent

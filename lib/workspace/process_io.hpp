// What services and shells share on the host side: argument checks, the agent's
// status and read results turned into the public types (with redaction), and the
// output read that waits in slices so the workspace lock is never held for long.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "pyro/error.hpp"
#include "pyro/workspace.hpp"
#include "workspace/redaction.hpp"

namespace pyro::detail {

/// Checks `cwd` (empty or absolute, no NUL) and `env` (names and values).
void validate_process_env(const std::string& cwd, const std::map<std::string, std::string>& env,
                          const std::map<std::string, std::string>& secret_env);
/// Checks cursor, tail_lines, max_bytes (1..kMaxReadBytes) and wait_seconds (0..600).
void validate_read_options(const OutputReadOptions& options);
/// The signal name without "SIG", upper case, or kInvalidArgument. `shell` also
/// allows TSTP, CONT and WINCH.
std::string normalize_signal(const std::string& signal, bool shell);

/// Agent read params (docs/agent-protocol.md, "Output rings") from `cursor`, with
/// the redactor's lookbehind.
nlohmann::json read_params(int64_t cursor, const OutputReadOptions& options, const Redactor& redactor,
                           uint32_t wait_ms);
/// A read result as an OutputChunk: redacted from `cursor` on (see Redactor::redact_window).
/// `cursor` -1: the read started wherever the agent said (tail lines, no redaction needed).
/// More than `max_data` bytes (max_bytes plus lookbehind asked for), a malformed or
/// mistyped field: kAgentProtocol.
OutputChunk chunk_from_read(const nlohmann::json& reply, int64_t cursor, const Redactor& redactor,
                            uint64_t max_data);
/// What a read with `params` (read_params) may return at most.
uint64_t read_bound(const nlohmann::json& params);

ServiceInfo service_from_json(const nlohmann::json& status);
/// Why a service never became ready, from its status's `failure` (since agent 1.3's
/// `wait`): kDeadlineExceeded or kFailedPrecondition with the agent's message.
/// Without a failure: kFailedPrecondition with `fallback`.
Error service_failure(const nlohmann::json& status, const std::string& fallback);
ShellInfo shell_from_json(const nlohmann::json& status);

/// `e` with every secret value in its message replaced.
Error redacted(const Error& e, const Redactor& redactor);

}  // namespace pyro::detail

#include "runtime/agent_exec.hpp"

#include <algorithm>
#include <exception>

#include <fmt/format.h>

#include "pyro/error.hpp"

namespace pyro::detail {
namespace {

// The agent kills a command at its timeout; this covers draining and the reply.
constexpr auto kExecReplyGrace = std::chrono::seconds(15);

}  // namespace

ExecResult exec_over_agent(AgentConnection& agent, const std::string& command, const ExecOptions& options) {
  const auto timeout_ms = static_cast<int64_t>(options.timeout_seconds * 1000.0);
  nlohmann::json params = {
      {"command", command},
      {"timeout_ms", timeout_ms},
      {"stdout_limit", options.max_output_bytes},
      {"stderr_limit", options.max_output_bytes},
  };
  if (!options.env.empty()) params["env"] = options.env;
  if (!options.cwd.empty()) params["cwd"] = options.cwd;

  ExecResult result;
  // An exception of on_output: the command is cancelled, and the exception rethrown
  // once the agent answered (so the connection stays in step).
  std::exception_ptr handler_failed;
  // The agent never sends more than the limits; more is a lie of the guest, which
  // must not make the host buffer without bound.
  auto sink = [&](protocol::Channel channel, std::string_view bytes) {
    const bool is_stderr = channel == protocol::Channel::kStderr;
    std::string& out = is_stderr ? result.stderr_data : result.stdout_data;
    if (bytes.size() > options.max_output_bytes - std::min<uint64_t>(out.size(), options.max_output_bytes)) {
      throw Error(ErrorCode::kAgentProtocol,
                  fmt::format("exec answered: more than the {} bytes of {} asked for", options.max_output_bytes,
                              is_stderr ? "stderr" : "stdout"));
    }
    out.append(bytes);
    if (!options.on_output || bytes.empty() || handler_failed) return;
    try {
      options.on_output(LiveOutput{is_stderr ? OutputStream::kStderr : OutputStream::kStdout, bytes});
    } catch (...) {
      handler_failed = std::current_exception();
    }
  };
  const Deadline deadline = Clock::now() + std::chrono::milliseconds(timeout_ms) + kExecReplyGrace;
  const CallCancel cancel{[&] { return options.cancel.cancelled() || handler_failed != nullptr; }, "exec_cancel"};
  bool cancel_sent = false;
  nlohmann::json reply = agent.call("exec", params, deadline, sink, cancel, &cancel_sent);
  if (handler_failed) std::rethrow_exception(handler_failed);
  try {
    result.exit_code = reply.at("exit_code").get<int>();
    result.signal = reply.value("signal", 0);
    result.timed_out = reply.value("timed_out", false);
    // Only what the host asked for: a guest cannot claim a cancel nobody sent.
    result.cancelled = cancel_sent && reply.value("cancelled", false);
    result.duration_ms = reply.value("duration_ms", uint64_t{0});
    result.stdout_truncated = reply.value("stdout_truncated", false) ||
                              reply.value("stdout_bytes", uint64_t{0}) > result.stdout_data.size();
    result.stderr_truncated = reply.value("stderr_truncated", false) ||
                              reply.value("stderr_bytes", uint64_t{0}) > result.stderr_data.size();
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kAgentProtocol, fmt::format("malformed exec result: {}", e.what()));
  }
  return result;
}

}  // namespace pyro::detail

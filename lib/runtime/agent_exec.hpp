// One command through the agent's `exec` method, shared by ephemeral VMs and
// workspaces: request parameters from ExecOptions, output capped on the host too
// and relayed live, cancellation, the reply turned into an ExecResult.
#pragma once

#include <string>

#include "agent/agent_connection.hpp"
#include "pyro/types.hpp"

namespace pyro::detail {

/// Passes each chunk to `options.on_output` as it arrives and sends `exec_cancel`
/// once `options.cancel` is cancelled or on_output threw (whose exception is then
/// rethrown after the agent answered). Throws what AgentConnection::call throws,
/// and kAgentProtocol for a malformed reply.
ExecResult exec_over_agent(AgentConnection& agent, const std::string& command, const ExecOptions& options);

}  // namespace pyro::detail

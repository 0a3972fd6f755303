// One command through the agent's `exec` method, shared by ephemeral VMs and
// workspaces: request parameters from ExecOptions, output capped on the host too,
// the reply turned into an ExecResult.
#pragma once

#include <string>

#include "agent/agent_connection.hpp"
#include "pyro/types.hpp"

namespace pyro::detail {

/// Throws what AgentConnection::call throws, and kAgentProtocol for a malformed reply.
ExecResult exec_over_agent(AgentConnection& agent, const std::string& command, const ExecOptions& options);

}  // namespace pyro::detail

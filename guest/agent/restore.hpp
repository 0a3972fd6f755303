// The `restore` method (since 1.1): what a VM cloned from a snapshot must redo so it
// is not a twin of its siblings: RNG seed, wall clock, hostname, machine-id.
#pragma once

#include <nlohmann/json.hpp>

namespace pyro::agent {

/// Validates `params` and, when `in_vm` (the agent is PID 1 of a VM), applies them.
/// Throws AgentError: invalid_argument for bad params, failed_precondition outside a
/// VM (a host-side test must never set the host's clock), internal when the kernel
/// refuses the seed, the clock or the hostname.
void run_restore(const nlohmann::json& params, bool in_vm);

}  // namespace pyro::agent

// The `restore` method (since 1.1): what a VM cloned from a snapshot must redo so it
// is not a twin of its siblings: RNG seed, wall clock, hostname, machine-id.
#pragma once

#include <nlohmann/json.hpp>

namespace pyro::agent {

/// Validates `params` and applies them. Throws AgentError (invalid_argument for bad
/// params, internal when the kernel refuses the seed or the clock).
void run_restore(const nlohmann::json& params);

/// Standard base64 (RFC 4648, padding optional) to bytes. Throws AgentError
/// (invalid_argument) on a character outside the alphabet.
std::string decode_base64(const std::string& text);

}  // namespace pyro::agent

// One-line diagnostics to stderr, which is the serial console when the agent is PID 1.
#pragma once

#include <string_view>

namespace pyro::agent {

/// Writes "pyro-agent: <message>\n" to stderr in a single write so lines from
/// different threads never mix. Never throws.
void log_line(std::string_view message) noexcept;

}  // namespace pyro::agent

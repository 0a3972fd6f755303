// Runs one of the guest-tools scripts (environment builders) as a child process,
// passing each line it writes to stderr to a progress handler and to the log.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pyro/types.hpp"

namespace pyro::detail {

/// Runs `argv` to completion. Throws Error(kUnavailable) when it cannot start or
/// exits non-zero, with the last lines of its stderr; `what` names the work for
/// messages ("pull environment `debian:12`").
/// Progress: a line "<script>: stage: <name>" starts stage <name>; every other
/// line is a message of the current stage (first: `first_stage`), without its
/// "<script>: " prefix.
void run_script(const std::vector<std::string>& argv, const ProgressHandler& progress, const std::string& what,
                std::string_view first_stage);

/// The stage a builder line announces ("build-rootfs: stage: make image" -> "make image").
std::optional<std::string_view> script_stage(std::string_view line);

/// A builder line without its "<script>: " prefix ("build-rootfs: hashing" -> "hashing").
std::string_view script_message(std::string_view line);

}  // namespace pyro::detail

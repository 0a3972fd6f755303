// Shared declarations of the pyro CLI: exit codes, the usage error, global
// options and the verb dispatcher (verbs.cpp).
#pragma once

#include <span>
#include <stdexcept>
#include <string>

#include "pyro/client.hpp"

namespace pyro_cli {

/// Exit statuses of the CLI itself; `pyro run` otherwise returns the guest's
/// exit code. Documented in docs/cli.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitCheckFailed = 1;  ///< `pyro doctor` found a problem
inline constexpr int kExitUsage = 64;       ///< bad flags or arguments (EX_USAGE)
inline constexpr int kExitPyroError = 125;  ///< pyro itself failed, as in `docker run`

/// A malformed command line. `command` is the verb path ("run", "env list", or
/// empty for the top level), used to point at the right `--help`.
class UsageError : public std::runtime_error {
 public:
  UsageError(std::string command, const std::string& message)
      : std::runtime_error(message), command_(std::move(command)) {}
  const std::string& command() const noexcept { return command_; }

 private:
  std::string command_;
};

/// Flags given before the verb.
struct GlobalOptions {
  pyro::ClientOptions client;
  int verbosity = 0;  ///< number of -v
};

using Args = std::span<const std::string>;

/// Runs the verb named by the first words of `words` (`run`, `workspace exec`, ...)
/// with the words after it; returns the exit status. Throws UsageError or pyro::Error.
int dispatch(const GlobalOptions& global, Args words);

}  // namespace pyro_cli

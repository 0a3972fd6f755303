// The top level of the command line: global flags before the verb. Pure (no I/O),
// so main.cpp and the CLI fuzz target (tests/fuzz/fuzz_cli_args.cpp) share it.
#pragma once

#include <cstddef>
#include <string>

#include "args.hpp"
#include "cli.hpp"

namespace pyro_cli {

/// The global flag table and help text (`pyro --help`).
const CommandSpec& global_spec();

struct CommandLine {
  GlobalOptions global;
  bool help = false;     ///< -h/--help before the verb
  bool version = false;  ///< --version
  size_t verb = 0;       ///< index of the verb in the arguments (== size: none)
};

/// The list of verbs that follows the global help (generated from the table; verbs.cpp).
std::string verbs_help();

/// Parses the global flags and finds the verb. Throws UsageError.
CommandLine parse_command_line(Args args);

}  // namespace pyro_cli

// What the operation table cannot express about a verb, per operation: flags
// that build a structured param (`--secret NAME=VALUE`, `--ready-http URL`,
// `--publish PORT`), input from stdin, flags of the CLI alone (`--pull`,
// `--follow`, `--stat`) and runs that are more than one call (Ctrl-C handling,
// following logs, byte-exact relay of guest output). Most operations have none.
#pragma once

#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "args.hpp"
#include "cli.hpp"

namespace pyro_cli {

struct Command;

struct Adapter {
  std::string_view op;
  std::vector<FlagSpec> flags;               ///< added to the table's flags
  std::vector<std::string_view> replaces;    ///< params made from `flags`, not flags of their own
  /// Completes `args` from the adapter's flags and checks what the table cannot; may
  /// change the client options. Optional.
  void (*prepare)(const Command&, const ParsedArgs&, nlohmann::json& args, GlobalOptions&) = nullptr;
  /// Runs the verb instead of one Pyro::call and its printing; returns the exit status. Optional.
  int (*run)(const Command&, const ParsedArgs&, nlohmann::json& args, const GlobalOptions&) = nullptr;
};

/// The adapter of operation `op`, or nullptr.
const Adapter* find_adapter(std::string_view op);

/// One Pyro::call of the command's operation with `args`, printed as --json or
/// human output; returns the exit status. Progress lines go to stderr.
int call_and_print(const Command& cmd, const ParsedArgs& parsed, const nlohmann::json& args,
                   pyro::Pyro& client);

}  // namespace pyro_cli

// A small, strict command-line parser: long flags (`--name value`,
// `--name=value`), boolean short flags (`-v`, `-vv`), `--` ending the options,
// and help text generated from the same flag table so the two never drift.
// The verbs' tables are generated from the operation table (command_table.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli.hpp"

namespace pyro_cli {

struct FlagSpec {
  std::string name;        ///< long name without dashes, e.g. "mem-mib"
  char short_name = 0;     ///< e.g. 'v'; 0 for none
  std::string value_name;  ///< e.g. "N"; empty for a boolean flag
  std::string help;
  bool repeatable = false;
};

struct CommandSpec {
  std::string path = {};     ///< "run", "env list"; empty for the top level
  std::string usage = {};    ///< synopsis after "usage: "
  std::string summary = {};  ///< one line
  std::vector<FlagSpec> flags = {};
  std::string details = {};  ///< extra help text (paragraphs), wrapped and printed after the flags
  bool takes_rest = false;   ///< accepts words after `--`
  /// Top level only: the first positional (the verb) ends parsing.
  bool stop_at_positional = false;
};

struct ParsedArgs {
  std::map<std::string, std::vector<std::string>, std::less<>> flags;
  std::vector<std::string> positionals;
  std::vector<std::string> rest;  ///< words after `--`
  bool saw_separator = false;
  bool help = false;      ///< -h/--help was given; parsing stopped there
  size_t consumed = 0;    ///< with stop_at_positional: index of the verb

  bool has(std::string_view name) const { return flags.find(name) != flags.end(); }
  size_t count(std::string_view name) const;
  /// The value of a non-repeatable flag, or nullptr when absent.
  const std::string* value(std::string_view name) const;
  /// Every value of a repeatable flag, in order.
  std::span<const std::string> values(std::string_view name) const;
};

/// Parses `args` against `spec`. Throws UsageError naming the offending word.
ParsedArgs parse_args(const CommandSpec& spec, Args args);

/// The full help text of a command, ending in a newline.
std::string format_help(const CommandSpec& spec);

/// Strict value parsers for flag values, with an inclusive range; they throw
/// UsageError naming the flag.
int64_t parse_integer(const CommandSpec& spec, std::string_view flag, const std::string& value,
                      double min = -9.2e18, double max = 9.2e18);
double parse_number(const CommandSpec& spec, std::string_view flag, const std::string& value,
                    double min = -1e300, double max = 1e300);

/// True when `flag` ("--home", "-v") belongs before the verb; used to say so
/// when one is given after it. Defined in main.cpp.
bool is_global_flag(std::string_view flag);

}  // namespace pyro_cli

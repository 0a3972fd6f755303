// The CLI verbs, generated at run time from the core's operation table
// (pyro::operation_table_json()): every operation with a `cli` verb becomes a
// command whose flags, help and argument conversion come from its params and its
// `cli_args` (spec/operations.json). Reading the compiled-in table instead of
// generating C++ from spec/ at build time keeps one source of truth: the CLI can
// never disagree with the library it runs on.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "args.hpp"
#include "cli.hpp"

namespace pyro_cli {

struct Adapter;

/// A positional word of a verb: the param it fills.
struct Word {
  std::string param;
  std::string label;  ///< for "missing <label>"
  bool optional = false;
};

struct Command {
  std::string op;      ///< table name, e.g. "exec_workspace"
  std::string verb;    ///< "workspace exec"
  std::string result;  ///< result type, e.g. "ExecResult", "list[WorkspaceInfo]"
  CommandSpec spec;    ///< flags and help
  nlohmann::json params;  ///< the table's params (array)
  std::vector<Word> words;
  std::string rest;                          ///< param made of the words after `--`
  std::map<std::string, std::string> flag_of;  ///< param -> flag, for typed flags
  std::map<std::string, std::string> file_of;  ///< param -> flag naming a host file
  std::string show;                          ///< human view: "", "details", "field:KEY", "none"
  std::vector<std::string> columns;          ///< table of a list result
  const Adapter* adapter = nullptr;
};

/// Every command, in table order (built once).
const std::vector<Command>& commands();

/// The command whose verb is `verb` ("workspace exec"), or nullptr.
const Command* find_command(std::string_view verb);

/// The table's JSON arguments of `cmd` from its parsed command line: positional
/// words, the words after `--`, typed flags (checked against the table's type,
/// range and enum), host files. Throws UsageError; the adapter adds the rest.
nlohmann::json arguments_from(const Command& cmd, const ParsedArgs& parsed);

/// The param's value in `args`, else its table default (null when none).
nlohmann::json argument_or_default(const Command& cmd, const nlohmann::json& args,
                                   std::string_view param);

}  // namespace pyro_cli

// What `pyro run` and `pyro workspace exec` share: turning `-- WORDS...` into one
// shell string, `--env K=V` flags into a map, and relaying a guest command's
// result byte for byte.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>

#include "args.hpp"
#include "pyro/types.hpp"

namespace pyro_cli {

/// One word is the shell string as given (`-- 'ls | wc -l'`); several words are
/// shell-quoted and joined so the guest sees exactly the words typed.
std::string command_from_words(std::span<const std::string> words);

/// Parses repeated `K=V` values of `--<flag>`; the last K wins, like `env`.
/// Throws UsageError naming the flag and the malformed value.
std::map<std::string, std::string> parse_key_values(const CommandSpec& spec, std::string_view flag,
                                                    std::span<const std::string> values);

/// The shell string after `--`, once the verb's `positionals` words (WORKSPACE,
/// or WORKSPACE NAME) are read: throws UsageError for one more positional, no
/// words after `--` (the message shows `example`, a whole command line), or an
/// empty command.
std::string command_after_separator(const CommandSpec& spec, const ParsedArgs& parsed,
                                    std::string_view example, size_t positionals = 1);

/// The flags of the command itself: --timeout-seconds, --max-output-bytes,
/// --cwd and --env (repeatable). Throws UsageError for a malformed value.
pyro::ExecOptions parse_exec_flags(const CommandSpec& spec, const ParsedArgs& parsed);

/// With --json the result as one JSON line, otherwise relay_exec_result.
/// Returns the guest command's exit code, the CLI's exit status.
int print_exec_result(const ParsedArgs& parsed, const pyro::ExecResult& result,
                      const pyro::ExecOptions& exec);

/// Copies the guest's stdout and stderr unchanged to ours, then adds one `pyro:`
/// note on stderr per timeout or truncation, on a line of its own.
void relay_exec_result(const pyro::ExecResult& result, const pyro::ExecOptions& exec);

}  // namespace pyro_cli

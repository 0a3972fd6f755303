// Human output of the CLI, rendered from the one JSON form of each result
// (Pyro::call): one renderer per result type, generic `key: value` lines and
// tables for the rest, shaped by the command's `show` and `columns`.
#pragma once

#include <nlohmann/json.hpp>

#include "args.hpp"
#include "command_table.hpp"

namespace pyro_cli {

/// Prints `result` of `cmd` for people (stdout, notes on stderr).
void render(const Command& cmd, const ParsedArgs& parsed, const nlohmann::json& args,
            const nlohmann::json& result);

/// The exit status a result means: the guest's exit code (ExecResult), 1 for a
/// failed doctor check or a patch that does not apply, else 0.
int exit_status(const Command& cmd, const nlohmann::json& result);

/// Copies a command's stdout and stderr unchanged, then one `pyro:` note per
/// timeout or truncation on a line of its own.
void relay_exec(const nlohmann::json& result, const nlohmann::json& timeout_seconds,
                const nlohmann::json& max_output_bytes);

/// Copies a ServiceLogs or ShellOutput chunk's output to stdout, then `pyro:`
/// notes on stderr: dropped bytes and, with `with_cursor`, the next cursor.
void relay_chunk(const nlohmann::json& chunk, bool with_cursor);

}  // namespace pyro_cli

// What the `pyro workspace ...` verbs share: positional checks, host input
// (a file or `-` for stdin), and the human forms of workspace results.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "args.hpp"
#include "pyro/workspace.hpp"

namespace pyro_cli {

/// Checks that `parsed` has every `required` positional (each named for the
/// message, e.g. "workspace (id or name)") and at most `optional` more.
/// Throws UsageError naming the first missing or unexpected one.
void check_positionals(const CommandSpec& spec, const ParsedArgs& parsed,
                       std::initializer_list<std::string_view> required, size_t optional = 0);

/// parse_args, then check_positionals; with -h/--help it prints the help instead
/// and returns with `help` set, so the verb returns kExitOk at once.
ParsedArgs parse_verb_args(const CommandSpec& spec, Args args,
                           std::initializer_list<std::string_view> required, size_t optional = 0);

/// `json` as one line with --json, otherwise `human` unchanged.
void print_json_or_text(const ParsedArgs& parsed, const nlohmann::json& json,
                        std::string_view human);

/// The whole content of host file `path`, or of stdin when `path` is "-".
/// Throws pyro::Error(kNotFound / kInvalidArgument) naming `what` and the path.
std::string read_host_input(const std::string& path, std::string_view what);

/// "Progress" note on stderr (`pyro: <message>`), only when stderr is a terminal,
/// so scripts capturing stderr see only errors.
void progress_note(std::string_view message);

/// `key: value` lines describing a workspace (`status`, `update`).
std::string format_workspace_details(const pyro::WorkspaceInfo& info);

/// One line after a state change: "ws-0123456789ab running (clone start, 312 ms)".
std::string format_workspace_state_line(const pyro::WorkspaceInfo& info);

/// A table of files: TYPE MODE SIZE MTIME PATH (`-> target` for symlinks).
std::string format_file_table(const std::vector<pyro::WorkspaceFileEntry>& entries);

/// The content of a read file to stdout, exactly; a `pyro:` note on stderr when truncated.
void relay_file_content(const pyro::WorkspaceFileContent& content);

/// Human line of an export: "exported 3 files, 1 directory (12.0 KiB) to OUT".
std::string format_export_line(const pyro::ExportResult& result);

}  // namespace pyro_cli

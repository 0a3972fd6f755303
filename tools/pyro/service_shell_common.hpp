// What the `pyro workspace service ...` and `pyro workspace shell ...` verbs
// share: reading output from a cursor (--cursor, --max-bytes, --wait, --tail),
// relaying it, and the human forms of services and shells.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "args.hpp"
#include "pyro/workspace.hpp"

namespace pyro_cli {

/// OutputReadOptions from --cursor N, --max-bytes N, --wait SECONDS and, when the
/// verb has it, --tail N. Without --cursor the cursor stays -1 (the core's
/// default: the last lines of a service, the oldest byte kept of a shell).
pyro::OutputReadOptions parse_output_read_flags(const CommandSpec& spec, const ParsedArgs& parsed);

/// A guest TCP port from a flag value: 1-65535, else UsageError naming `flag`.
uint32_t parse_port(const CommandSpec& spec, std::string_view flag, const std::string& value);

/// `pyro: ...` notes on stderr after a read: output dropped from the ring before
/// the cursor (missed_bytes), and, when `with_cursor`, the cursor to read from next.
void note_chunk(const pyro::OutputChunk& chunk, bool with_cursor);

/// True while a service may still produce output ("starting", "running").
bool service_is_live(const pyro::ServiceInfo& service);

/// "web running (pid 42, ready: http)" and one "127.0.0.1:HOST -> guest PORT"
/// line per published port; every line ends in a newline.
std::string format_service_summary(const pyro::ServiceInfo& service);

/// `key: value` lines describing one service (`service status`).
std::string format_service_details(const pyro::ServiceInfo& service);

/// A table: NAME STATE PID EXIT RESTARTS PORTS COMMAND.
std::string format_service_table(const std::vector<pyro::ServiceInfo>& services);

/// "sh-0123abcd running (pid 42, 120x40)", with a newline.
std::string format_shell_line(const pyro::ShellInfo& shell);

}  // namespace pyro_cli

// `pyro workspace shell open`: the open_shell operation.
#include <array>

#include "args.hpp"
#include "cli.hpp"
#include "exec_output.hpp"
#include "output.hpp"
#include "pyro/client.hpp"
#include "workspace_common.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 6> kFlags = {{
    {"cwd", 0, "DIR", "where the shell starts (default /workspace)"},
    {"env", 0, "K=V", "add a variable to the shell's environment (repeatable)", true},
    {"secret-env", 0, "ENV=SECRET", "set ENV to the workspace secret SECRET (repeatable)", true},
    {"cols", 0, "N", "terminal width, 1-1000 (default 120)"},
    {"rows", 0, "N", "terminal height, 1-1000 (default 40)"},
    {"json", 0, "", "print the shell as one JSON object"},
}};

constexpr CommandSpec kSpec = {
    .path = "workspace shell open",
    .usage = "pyro workspace shell open WORKSPACE [OPTIONS]",
    .summary = "Open an interactive shell on a PTY; its cwd and variables persist between writes.",
    .flags = kFlags,
    .details = "Prints the shell id (sh-XXXXXXXX) for `shell write|read|signal|resize|close`.\n"
               "With --json one object: shell_id, state, pid, exit_code, cols, rows, cwd,\n"
               "created_at (ignore keys you do not know). The shell ends with the workspace.\n",
};

}  // namespace

int cmd_open_shell(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_verb_args(kSpec, args, {"workspace: give its id or name"});
  if (parsed.help) return kExitOk;
  pyro::ShellOptions options;
  if (auto* v = parsed.value("cwd")) options.cwd = *v;
  options.env = parse_key_values(kSpec, "env", parsed.values("env"));
  options.secret_env = parse_key_values(kSpec, "secret-env", parsed.values("secret-env"));
  if (auto* v = parsed.value("cols")) options.cols = parse_u32(kSpec, "cols", *v);
  if (auto* v = parsed.value("rows")) options.rows = parse_u32(kSpec, "rows", *v);
  pyro::Pyro client(global.client);
  pyro::ShellInfo shell = client.open_shell(parsed.positionals[0], options);
  print_json_or_text(parsed, json_of(shell), shell.shell_id + "\n");
  return kExitOk;
}

}  // namespace pyro_cli

// `pyro workspace shell signal`: the signal_shell operation.
#include <array>

#include "args.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "pyro/client.hpp"
#include "service_shell_common.hpp"
#include "workspace_common.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 2> kFlags = {{
    {"signal", 0, "SIG", "INT (default, as Ctrl-C), TERM, HUP, QUIT, KILL, TSTP, CONT, USR1, USR2, WINCH"},
    {"json", 0, "", "print the shell as one JSON object"},
}};

constexpr CommandSpec kSpec = {
    .path = "workspace shell signal",
    .usage = "pyro workspace shell signal WORKSPACE SHELL_ID [--signal SIG] [--json]",
    .summary = "Send a signal to the shell's foreground process group.",
    .flags = kFlags,
    .details = "Prints the shell's state; with --json the object of `shell open --json`.\n",
};

}  // namespace

int cmd_signal_shell(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_verb_args(kSpec, args, {"workspace: give its id or name", "shell id"});
  if (parsed.help) return kExitOk;
  std::string signal = parsed.value("signal") ? *parsed.value("signal") : "INT";
  pyro::Pyro client(global.client);
  pyro::ShellInfo shell = client.signal_shell(parsed.positionals[0], parsed.positionals[1], signal);
  print_json_or_text(parsed, json_of(shell), format_shell_line(shell));
  return kExitOk;
}

}  // namespace pyro_cli

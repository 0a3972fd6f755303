// `pyro workspace shell write`: the write_shell operation.
#include <array>

#include "args.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "pyro/client.hpp"
#include "workspace_common.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 2> kFlags = {{
    {"no-newline", 'n', "", "do not append a newline to INPUT (to type a partial line or keys)"},
    {"json", 0, "", "print the shell as one JSON object"},
}};

constexpr CommandSpec kSpec = {
    .path = "workspace shell write",
    .usage = "pyro workspace shell write WORKSPACE SHELL_ID INPUT|- [--no-newline] [--json]",
    .summary = "Type input into a shell.",
    .flags = kFlags,
    .details = "INPUT is sent as typed, followed by a newline so the line runs (unless\n"
               "--no-newline). `-` sends stdin exactly as read, adding nothing (use it for input\n"
               "that starts with `-`, which would be read as a flag). At most 64 KiB.\n"
               "Prints nothing; read the output with `pyro workspace shell read`. With --json\n"
               "the shell object of `shell open --json`.\n"
               "\n"
               "exit status: 0; 125 when pyro failed (failed_precondition: the shell exited).\n",
};

}  // namespace

int cmd_write_shell(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_verb_args(
      kSpec, args, {"workspace: give its id or name", "shell id", "input: the text to type, or `-` for stdin"});
  if (parsed.help) return kExitOk;
  std::string input;
  if (parsed.positionals[2] == "-") {
    input = read_host_input("-", "shell input");
  } else {
    input = parsed.positionals[2];
    if (!parsed.has("no-newline")) input += "\n";
  }
  pyro::Pyro client(global.client);
  pyro::ShellInfo shell = client.write_shell(parsed.positionals[0], parsed.positionals[1], input);
  if (parsed.has("json")) print_json_line(json_of(shell));
  return kExitOk;
}

}  // namespace pyro_cli

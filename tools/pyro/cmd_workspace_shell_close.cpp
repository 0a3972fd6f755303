// `pyro workspace shell close`: the close_shell operation.
#include "args.hpp"
#include "cli.hpp"
#include "pyro/client.hpp"
#include "workspace_common.hpp"

namespace pyro_cli {
namespace {

constexpr CommandSpec kSpec = {
    .path = "workspace shell close",
    .usage = "pyro workspace shell close WORKSPACE SHELL_ID",
    .summary = "End a shell (SIGHUP, then SIGKILL) and forget its output.",
    .details = "Prints nothing. exit status: 0; 125 with `not_found` when there is no such shell.\n",
};

}  // namespace

int cmd_close_shell(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_verb_args(kSpec, args, {"workspace: give its id or name", "shell id"});
  if (parsed.help) return kExitOk;
  pyro::Pyro client(global.client);
  client.close_shell(parsed.positionals[0], parsed.positionals[1]);
  return kExitOk;
}

}  // namespace pyro_cli

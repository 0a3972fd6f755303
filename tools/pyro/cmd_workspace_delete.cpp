// `pyro workspace delete`: the delete_workspace operation.
#include <span>

#include "args.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "pyro/client.hpp"
#include "workspace_common.hpp"

namespace pyro_cli {
namespace {

constexpr CommandSpec kSpec = {
    .path = "workspace delete",
    .usage = "pyro workspace delete WORKSPACE",
    .summary = "Stop a workspace and delete it with its disk and snapshots.",
    .details = "Prints nothing. exit status: 0; 125 with `not_found` when WORKSPACE is unknown.\n",
};

}  // namespace

int cmd_delete_workspace(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_verb_args(kSpec, args, {"workspace: give its id or name"});
  if (parsed.help) return kExitOk;
  pyro::Pyro client(global.client);
  client.delete_workspace(parsed.positionals[0]);
  return kExitOk;
}

}  // namespace pyro_cli

// `pyro workspace snapshot delete`: the delete_snapshot operation.
#include "args.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "pyro/client.hpp"
#include "workspace_common.hpp"

namespace pyro_cli {
namespace {

constexpr CommandSpec kSpec = {
    .path = "workspace snapshot delete",
    .usage = "pyro workspace snapshot delete WORKSPACE NAME",
    .summary = "Delete a snapshot of a workspace.",
    .details = "Prints nothing. exit status: 0; 125 with `not_found` for an unknown snapshot.\n",
};

}  // namespace

int cmd_delete_snapshot(const GlobalOptions& global, Args args) {
  ParsedArgs parsed =
      parse_verb_args(kSpec, args, {"workspace: give its id or name", "snapshot name"});
  if (parsed.help) return kExitOk;
  pyro::Pyro client(global.client);
  client.delete_snapshot(parsed.positionals[0], parsed.positionals[1]);
  return kExitOk;
}

}  // namespace pyro_cli

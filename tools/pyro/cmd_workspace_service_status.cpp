// `pyro workspace service status`: the status_service operation.
#include <array>

#include "args.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "pyro/client.hpp"
#include "service_shell_common.hpp"
#include "workspace_common.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 1> kFlags = {{
    {"json", 0, "", "print the service as one JSON object"},
}};

constexpr CommandSpec kSpec = {
    .path = "workspace service status",
    .usage = "pyro workspace service status WORKSPACE NAME [--json]",
    .summary = "State, pid, exit code and restarts of one service.",
    .flags = kFlags,
    .details = "Prints `key: value` lines. With --json the object `service start --json` prints.\n"
               "exit status: 0; 125 with `not_found` when there is no such service.\n",
};

}  // namespace

int cmd_status_service(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_verb_args(kSpec, args, {"workspace: give its id or name", "service name"});
  if (parsed.help) return kExitOk;
  pyro::Pyro client(global.client);
  pyro::ServiceInfo info = client.status_service(parsed.positionals[0], parsed.positionals[1]);
  print_json_or_text(parsed, json_of(info), format_service_details(info));
  return kExitOk;
}

}  // namespace pyro_cli

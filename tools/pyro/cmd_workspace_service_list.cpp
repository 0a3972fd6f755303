// `pyro workspace service list`: the list_services operation.
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
    {"json", 0, "", "print one JSON array of service objects"},
}};

constexpr CommandSpec kSpec = {
    .path = "workspace service list",
    .usage = "pyro workspace service list WORKSPACE [--json]",
    .summary = "List the services of a workspace with their state.",
    .flags = kFlags,
    .details = "Prints a table: NAME STATE PID EXIT RESTARTS PORTS (GUEST->HOST) COMMAND.\n"
               "With --json one array of the objects `service start --json` prints.\n",
};

}  // namespace

int cmd_list_services(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_verb_args(kSpec, args, {"workspace: give its id or name"});
  if (parsed.help) return kExitOk;
  pyro::Pyro client(global.client);
  auto services = client.list_services(parsed.positionals[0]);
  print_json_or_text(parsed, json_array_of(services), format_service_table(services));
  return kExitOk;
}

}  // namespace pyro_cli

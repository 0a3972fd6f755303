// `pyro workspace service stop`: the stop_service operation.
#include <array>

#include "args.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "pyro/client.hpp"
#include "service_shell_common.hpp"
#include "workspace_common.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 3> kFlags = {{
    {"signal", 0, "SIG", "signal for the process group first: TERM (default), INT, HUP, QUIT, KILL, USR1, USR2"},
    {"grace", 0, "SECONDS", "then SIGKILL after this long, 0-600 (default 5)"},
    {"json", 0, "", "print the stopped service as one JSON object"},
}};

constexpr CommandSpec kSpec = {
    .path = "workspace service stop",
    .usage = "pyro workspace service stop WORKSPACE NAME [--signal SIG] [--grace SECONDS] [--json]",
    .summary = "Stop a service: a signal to its process group, then SIGKILL after the grace period.",
    .flags = kFlags,
    .details = "Its published ports are removed. Stopping an ended service changes nothing.\n"
               "Prints the final state; with --json the object `service start --json` prints.\n",
};

}  // namespace

int cmd_stop_service(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_verb_args(kSpec, args, {"workspace: give its id or name", "service name"});
  if (parsed.help) return kExitOk;
  pyro::ServiceStopOptions options;
  if (auto* v = parsed.value("signal")) options.signal = *v;
  if (auto* v = parsed.value("grace")) options.grace_seconds = parse_number(kSpec, "grace", *v);
  pyro::Pyro client(global.client);
  pyro::ServiceInfo info = client.stop_service(parsed.positionals[0], parsed.positionals[1], options);
  print_json_or_text(parsed, json_of(info), format_service_summary(info));
  return kExitOk;
}

}  // namespace pyro_cli

// `pyro workspace stop`: the stop_workspace operation.
#include <array>

#include <fmt/format.h>

#include "args.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "pyro/client.hpp"
#include "workspace_common.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 1> kFlags = {{
    {"json", 0, "", "print the workspace as one JSON object"},
}};

constexpr CommandSpec kSpec = {
    .path = "workspace stop",
    .usage = "pyro workspace stop WORKSPACE [--json]",
    .summary = "Shut a workspace's VM down; /workspace stays on disk (no-op when stopped).",
    .flags = kFlags,
    .details = "Prints one line: the id and the new state. With --json the workspace object\n"
               "of `workspace status --json`.\n",
};

}  // namespace

int cmd_stop_workspace(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_verb_args(kSpec, args, {"workspace: give its id or name"});
  if (parsed.help) return kExitOk;
  pyro::Pyro client(global.client);
  pyro::WorkspaceInfo info = client.stop_workspace(parsed.positionals[0]);
  print_json_or_text(parsed, json_of(info), format_workspace_state_line(info));
  return kExitOk;
}

}  // namespace pyro_cli

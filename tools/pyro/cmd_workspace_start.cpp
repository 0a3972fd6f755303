// `pyro workspace start`: the start_workspace operation.
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
    .path = "workspace start",
    .usage = "pyro workspace start WORKSPACE [--json]",
    .summary = "Boot a stopped or crashed workspace from its disk (no-op when running).",
    .flags = kFlags,
    .details = "Prints one line: the id and the new state. With --json the workspace object\n"
               "of `workspace status --json`.\n",
};

}  // namespace

int cmd_start_workspace(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_verb_args(kSpec, args, {"workspace: give its id or name"});
  if (parsed.help) return kExitOk;
  pyro::Pyro client(global.client);
  progress_note(fmt::format("starting workspace `{}`", parsed.positionals[0]));
  pyro::WorkspaceInfo info = client.start_workspace(parsed.positionals[0]);
  print_json_or_text(parsed, json_of(info), format_workspace_state_line(info));
  return kExitOk;
}

}  // namespace pyro_cli

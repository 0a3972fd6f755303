// `pyro workspace reset`: the reset_workspace operation.
#include <array>

#include <fmt/format.h>

#include "args.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "pyro/client.hpp"
#include "workspace_common.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 2> kFlags = {{
    {"snapshot", 0, "NAME", "restore this snapshot instead of the baseline"},
    {"json", 0, "", "print the workspace as one JSON object"},
}};

constexpr CommandSpec kSpec = {
    .path = "workspace reset",
    .usage = "pyro workspace reset WORKSPACE [--snapshot NAME] [--json]",
    .summary = "Restart a workspace with /workspace as at its baseline or at a snapshot.",
    .flags = kFlags,
    .details = "Processes running in the VM are ended. Prints one line: the id and the new\n"
               "state. With --json the workspace object of `workspace status --json`.\n"
               "\n"
               "exit status: 0; 125 with `not_found` for an unknown workspace or snapshot.\n",
};

}  // namespace

int cmd_reset_workspace(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_verb_args(kSpec, args, {"workspace: give its id or name"});
  if (parsed.help) return kExitOk;
  std::string snapshot;
  if (auto* v = parsed.value("snapshot")) {
    if (v->empty()) throw UsageError("workspace reset", "`--snapshot` needs a snapshot name");
    snapshot = *v;
  }
  pyro::Pyro client(global.client);
  progress_note(fmt::format("resetting workspace `{}` to {}", parsed.positionals[0],
                            snapshot.empty() ? "its baseline" : fmt::format("snapshot `{}`", snapshot)));
  pyro::WorkspaceInfo info = client.reset_workspace(parsed.positionals[0], snapshot);
  print_json_or_text(parsed, json_of(info), format_workspace_state_line(info));
  return kExitOk;
}

}  // namespace pyro_cli

// `pyro workspace update`: the update_workspace operation.
#include <array>

#include "args.hpp"
#include "cli.hpp"
#include "exec_output.hpp"
#include "output.hpp"
#include "pyro/client.hpp"
#include "workspace_common.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 4> kFlags = {{
    {"name", 0, "N", "new name; `--name=` (empty) removes it"},
    {"label", 0, "K=V", "a label of the new set; replaces all labels (repeatable)", true},
    {"clear-labels", 0, "", "remove every label"},
    {"json", 0, "", "print the updated workspace as one JSON object"},
}};

constexpr CommandSpec kSpec = {
    .path = "workspace update",
    .usage = "pyro workspace update WORKSPACE [--name N] [--label K=V]... [--clear-labels] [--json]",
    .summary = "Rename or relabel a workspace.",
    .flags = kFlags,
    .details = "What is not given is left alone. Labels given with --label replace all the\n"
               "labels the workspace had. Prints the workspace as `workspace status` does.\n"
               "\n"
               "exit status: 0; 125 when pyro failed (not_found, already_exists: name taken).\n",
};

}  // namespace

int cmd_update_workspace(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_verb_args(kSpec, args, {"workspace: give its id or name"});
  if (parsed.help) return kExitOk;
  if (parsed.has("clear-labels") && parsed.has("label")) {
    throw UsageError("workspace update", "give either `--label` or `--clear-labels`, not both");
  }
  pyro::WorkspaceUpdate update;
  if (auto* v = parsed.value("name")) update.name = *v;
  if (parsed.has("label")) update.labels = parse_key_values(kSpec, "label", parsed.values("label"));
  if (parsed.has("clear-labels")) update.labels.emplace();
  if (!update.name && !update.labels) {
    throw UsageError("workspace update", "nothing to change: give `--name`, `--label` or `--clear-labels`");
  }
  pyro::Pyro client(global.client);
  pyro::WorkspaceInfo info = client.update_workspace(parsed.positionals[0], update);
  print_json_or_text(parsed, json_of(info), format_workspace_details(info));
  return kExitOk;
}

}  // namespace pyro_cli

// `pyro workspace list`: the list_workspaces operation.
#include <algorithm>
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
    {"json", 0, "", "print one JSON array of workspace objects"},
}};

constexpr CommandSpec kSpec = {
    .path = "workspace list",
    .usage = "pyro workspace list [--json]",
    .summary = "List every workspace under the home directory, oldest first.",
    .flags = kFlags,
    .details = "Prints a table: ID NAME ENV STATE CREATED. With --json one array of the\n"
               "objects `workspace status --json` prints (ignore keys you do not know).\n",
};

std::string format_table(const std::vector<pyro::WorkspaceInfo>& list) {
  size_t id_w = 2, name_w = 4, env_w = 3;  // the header widths
  for (const auto& w : list) {
    id_w = std::max(id_w, w.workspace_id.size());
    name_w = std::max(name_w, w.name.empty() ? 1 : w.name.size());
    env_w = std::max(env_w, w.environment.size());
  }
  auto row = [&](std::string_view id, std::string_view name, std::string_view env,
                 std::string_view state, std::string_view created) {
    return fmt::format("{:<{}}  {:<{}}  {:<{}}  {:<7}  {}\n", id, id_w, name, name_w, env, env_w,
                       state, created);
  };
  std::string out = row("ID", "NAME", "ENV", "STATE", "CREATED");
  for (const auto& w : list) {
    out += row(w.workspace_id, w.name.empty() ? "-" : w.name, w.environment,
               pyro::workspace_state_name(w.state), w.created_at);
  }
  return out;
}

}  // namespace

int cmd_list_workspaces(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_verb_args(kSpec, args, {});
  if (parsed.help) return kExitOk;
  pyro::Pyro client(global.client);
  std::vector<pyro::WorkspaceInfo> list = client.list_workspaces();
  print_json_or_text(parsed, json_array_of(list), format_table(list));
  return kExitOk;
}

}  // namespace pyro_cli

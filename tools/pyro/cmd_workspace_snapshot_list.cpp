// `pyro workspace snapshot list`: the list_snapshots operation.
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
    {"json", 0, "", "print one JSON array of snapshot objects"},
}};

constexpr CommandSpec kSpec = {
    .path = "workspace snapshot list",
    .usage = "pyro workspace snapshot list WORKSPACE [--json]",
    .summary = "List the snapshots of a workspace.",
    .flags = kFlags,
    .details = "Prints a table: NAME CREATED SIZE. With --json one array of objects: name,\n"
               "created_at, disk_bytes (ignore keys you do not know).\n",
};

std::string format_table(const std::vector<pyro::WorkspaceSnapshotInfo>& list) {
  size_t name_w = 4;  // "NAME"
  for (const auto& s : list) name_w = std::max(name_w, s.name.size());
  std::string out = fmt::format("{:<{}}  {:<20}  {}\n", "NAME", name_w, "CREATED", "SIZE");
  for (const auto& s : list) {
    out += fmt::format("{:<{}}  {:<20}  {}\n", s.name, name_w, s.created_at, format_size(s.disk_bytes));
  }
  return out;
}

}  // namespace

int cmd_list_snapshots(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_verb_args(kSpec, args, {"workspace: give its id or name"});
  if (parsed.help) return kExitOk;
  pyro::Pyro client(global.client);
  auto list = client.list_snapshots(parsed.positionals[0]);
  print_json_or_text(parsed, json_array_of(list), format_table(list));
  return kExitOk;
}

}  // namespace pyro_cli

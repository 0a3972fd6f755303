// `pyro workspace snapshot create`: the create_snapshot operation.
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
    {"json", 0, "", "print the snapshot as one JSON object"},
}};

constexpr CommandSpec kSpec = {
    .path = "workspace snapshot create",
    .usage = "pyro workspace snapshot create WORKSPACE NAME [--json]",
    .summary = "Save the /workspace disk under NAME; the VM keeps running.",
    .flags = kFlags,
    .details = "`workspace reset WORKSPACE --snapshot NAME` goes back to it. Prints one line;\n"
               "with --json one object: name, created_at, disk_bytes (ignore keys you do not\n"
               "know).\n"
               "\n"
               "exit status: 0; 125 when pyro failed (already_exists: NAME is taken).\n",
};

}  // namespace

int cmd_create_snapshot(const GlobalOptions& global, Args args) {
  ParsedArgs parsed =
      parse_verb_args(kSpec, args, {"workspace: give its id or name", "snapshot name"});
  if (parsed.help) return kExitOk;
  pyro::Pyro client(global.client);
  pyro::WorkspaceSnapshotInfo s = client.create_snapshot(parsed.positionals[0], parsed.positionals[1]);
  print_json_or_text(parsed, json_of(s),
                     fmt::format("snapshot {} created ({})\n", s.name, format_size(s.disk_bytes)));
  return kExitOk;
}

}  // namespace pyro_cli

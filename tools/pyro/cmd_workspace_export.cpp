// `pyro workspace export`: the export_workspace operation.
#include <array>

#include "args.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "pyro/client.hpp"
#include "workspace_common.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 1> kFlags = {{
    {"json", 0, "", "print the counts as one JSON object"},
}};

constexpr CommandSpec kSpec = {
    .path = "workspace export",
    .usage = "pyro workspace export WORKSPACE PATH OUTPUT [--json]",
    .summary = "Copy a file or directory tree from /workspace to a new host path.",
    .flags = kFlags,
    .details = "OUTPUT must not exist. Prints one line; with --json one object: output_path,\n"
               "files, directories, bytes (ignore keys you do not know).\n"
               "\n"
               "exit status: 0; 125 when pyro failed (already_exists: OUTPUT exists).\n",
};

}  // namespace

int cmd_export_workspace(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_verb_args(kSpec, args,
                                      {"workspace: give its id or name", "path under /workspace to export",
                                       "output: a host path that does not exist yet"});
  if (parsed.help) return kExitOk;
  pyro::Pyro client(global.client);
  pyro::ExportResult r = client.export_workspace(parsed.positionals[0], parsed.positionals[1], parsed.positionals[2]);
  print_json_or_text(parsed, json_of(r), format_export_line(r));
  return kExitOk;
}

}  // namespace pyro_cli

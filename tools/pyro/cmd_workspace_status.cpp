// `pyro workspace status`: the status_workspace operation.
#include <array>

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
    .path = "workspace status",
    .usage = "pyro workspace status WORKSPACE [--json]",
    .summary = "Describe one workspace (WORKSPACE is its id or name).",
    .flags = kFlags,
    .details = "Prints `key: value` lines. With --json one object: workspace_id, name,\n"
               "environment, state (stopped, running or crashed), vcpu_count, mem_mib,\n"
               "disk_mib, network, labels, created_at, updated_at, accelerator, pid, boot_ms,\n"
               "start_mode, crash_reason, disk_bytes, path (ignore keys you do not know).\n"
               "\n"
               "exit status: 0; 125 with `not_found` when WORKSPACE is unknown.\n",
};

}  // namespace

int cmd_status_workspace(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_verb_args(kSpec, args, {"workspace: give its id or name"});
  if (parsed.help) return kExitOk;
  pyro::Pyro client(global.client);
  pyro::WorkspaceInfo info = client.status_workspace(parsed.positionals[0]);
  print_json_or_text(parsed, json_of(info), format_workspace_details(info));
  return kExitOk;
}

}  // namespace pyro_cli

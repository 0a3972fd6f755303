// `pyro workspace create`: the create_workspace operation.
#include <array>

#include <fmt/format.h>

#include "args.hpp"
#include "cli.hpp"
#include "exec_output.hpp"
#include "output.hpp"
#include "pyro/client.hpp"
#include "workspace_common.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 8> kFlags = {{
    {"seed-path", 0, "PATH", "host directory or .tar/.tar.gz/.tgz/.zip that /workspace starts from"},
    {"name", 0, "N", "unique name, usable instead of the id ([A-Za-z0-9._-], 1-63 chars)"},
    {"label", 0, "K=V", "add a label (repeatable)", true},
    {"vcpu-count", 0, "N", "virtual CPUs, 1-8 (default 1)"},
    {"mem-mib", 0, "N", "guest memory in MiB, 64-16384 (default 256)"},
    {"disk-mib", 0, "N", "size of the /workspace disk in MiB, sparse (default 2048)"},
    {"network-policy", 0, "P", "off (default: no NIC), egress, or egress+published-ports"},
    {"json", 0, "", "print the workspace as one JSON object"},
}};

constexpr CommandSpec kSpec = {
    .path = "workspace create",
    .usage = "pyro workspace create ENV [OPTIONS]",
    .summary = "Create a persistent workspace of environment ENV and start it.",
    .flags = kFlags,
    .details =
        "/workspace starts as a copy of --seed-path (empty without it); that content is\n"
        "the baseline `workspace diff` and `workspace reset` compare with. The workspace\n"
        "keeps running after this command exits; other `pyro` calls drive it by id or name.\n"
        "\n"
        "Prints the workspace id on one line. With --json one object: workspace_id, name,\n"
        "environment, state, vcpu_count, mem_mib, disk_mib, network, labels, created_at,\n"
        "updated_at, accelerator, pid, boot_ms, start_mode, crash_reason, disk_bytes, path\n"
        "(ignore keys you do not know).\n"
        "\n"
        "exit status: 0; 125 when pyro failed (already_exists: the name is taken).\n",
};

}  // namespace

int cmd_create_workspace(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_verb_args(kSpec, args, {"environment, e.g. `busybox`"});
  if (parsed.help) return kExitOk;
  pyro::WorkspaceOptions options;
  if (auto* v = parsed.value("seed-path")) options.seed_path = *v;
  if (auto* v = parsed.value("name")) options.name = *v;
  options.labels = parse_key_values(kSpec, "label", parsed.values("label"));
  if (auto* v = parsed.value("vcpu-count")) options.vcpu_count = parse_u32(kSpec, "vcpu-count", *v);
  if (auto* v = parsed.value("mem-mib")) options.mem_mib = parse_u32(kSpec, "mem-mib", *v);
  if (auto* v = parsed.value("disk-mib")) options.disk_mib = parse_u64(kSpec, "disk-mib", *v);
  if (auto* v = parsed.value("network-policy")) options.network_policy = pyro::network_policy_from_name(*v);

  pyro::Pyro client(global.client);
  progress_note(fmt::format("creating a workspace of `{}`", parsed.positionals[0]));
  pyro::WorkspaceInfo info = client.create_workspace(parsed.positionals[0], options);
  print_json_or_text(parsed, to_json(info), info.workspace_id + "\n");
  return kExitOk;
}

}  // namespace pyro_cli

// `pyro workspace create`: the create_workspace operation.
#include <array>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "args.hpp"
#include "cli.hpp"
#include "exec_output.hpp"
#include "output.hpp"
#include "pyro/client.hpp"
#include "pyro/error.hpp"
#include "workspace_common.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 10> kFlags = {{
    {"seed-path", 0, "PATH", "host directory or .tar/.tar.gz/.tgz/.zip that /workspace starts from"},
    {"name", 0, "N", "unique name, usable instead of the id ([A-Za-z0-9._-], 1-63 chars)"},
    {"label", 0, "K=V", "add a label (repeatable)", true},
    {"vcpu-count", 0, "N", "virtual CPUs, 1-8 (default 1)"},
    {"mem-mib", 0, "N", "guest memory in MiB, 64-16384 (default 256)"},
    {"disk-mib", 0, "N", "size of the /workspace disk in MiB, sparse (default 2048)"},
    {"network-policy", 0, "P", "off (default: no NIC), egress, or egress+published-ports"},
    {"secret-file", 0, "NAME=PATH", "add secret NAME whose value is host file PATH (repeatable)", true},
    {"secret", 0, "NAME=VALUE", "add secret NAME with VALUE; visible in `ps`, prefer --secret-file", true},
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
        "environment, state, vcpu_count, mem_mib, disk_mib, network, network_policy,\n"
        "secret_names, labels, created_at, updated_at, accelerator, pid, boot_ms, start_mode,\n"
        "crash_reason, disk_bytes, path\n"
        "(ignore keys you do not know).\n"
        "\n"
        "--network-policy egress+published-ports lets `workspace service start --publish`\n"
        "forward guest ports to 127.0.0.1. Secrets stay on the host (0600); a command sees\n"
        "one only through `--secret-env ENV=NAME` of exec, service start and shell open,\n"
        "and its value is shown as [REDACTED] in every output. A value given with --secret\n"
        "is visible to other users in `ps` and lands in shell history: use --secret-file.\n"
        "\n"
        "exit status: 0; 125 when pyro failed (already_exists: the name is taken).\n",
};

// --secret NAME=VALUE and --secret-file NAME=PATH, each name once.
std::vector<pyro::WorkspaceSecret> parse_secrets(const ParsedArgs& parsed) {
  std::vector<pyro::WorkspaceSecret> secrets;
  auto add = [&](std::string_view flag, const std::string& arg, bool from_file) {
    auto eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) {
      // A malformed --secret may be a bare value: never echo it.
      throw UsageError("workspace create",
                       from_file ? fmt::format("parse `--{}`: `{}` is not of the form NAME=PATH", flag, arg)
                                 : fmt::format("parse `--{}`: expected NAME=VALUE", flag));
    }
    pyro::WorkspaceSecret secret;
    secret.name = arg.substr(0, eq);
    for (const auto& s : secrets) {
      if (s.name == secret.name) {
        throw UsageError("workspace create", fmt::format("secret `{}` given more than once", secret.name));
      }
    }
    (from_file ? secret.file_path : secret.value) = arg.substr(eq + 1);
    secrets.push_back(std::move(secret));
  };
  for (const auto& arg : parsed.values("secret")) add("secret", arg, false);
  for (const auto& arg : parsed.values("secret-file")) add("secret-file", arg, true);
  return secrets;
}

pyro::NetworkPolicy parse_network_policy(const std::string& name) {
  try {
    return pyro::network_policy_from_name(name);
  } catch (const pyro::Error& e) {
    throw UsageError("workspace create", fmt::format("parse `--network-policy`: {}", e.what()));
  }
}

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
  if (auto* v = parsed.value("network-policy")) options.network_policy = parse_network_policy(*v);
  options.secrets = parse_secrets(parsed);

  pyro::Pyro client(global.client);
  progress_note(fmt::format("creating a workspace of `{}`", parsed.positionals[0]));
  pyro::WorkspaceInfo info = client.create_workspace(parsed.positionals[0], options);
  print_json_or_text(parsed, json_of(info), info.workspace_id + "\n");
  return kExitOk;
}

}  // namespace pyro_cli

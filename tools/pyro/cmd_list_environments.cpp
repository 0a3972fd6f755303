// `pyro env list`: the list_environments operation.
#include <array>

#include <fmt/format.h>

#include "args.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "pyro/client.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 1> kFlags = {{
    {"json", 0, "", "print one JSON array of environment objects"},
}};

constexpr CommandSpec kSpec = {
    .path = "env list",
    .usage = "pyro env list [--json]",
    .summary = "List the environments of the catalog and imported ones, and whether each is installed.",
    .flags = kFlags,
    .details = "With --json each object has name, description, installed, path, kernel_version,\n"
               "agent_version, sha256, source, version, packages, size_bytes, built_at,\n"
               "has_rootfs and snapshot_ready (ignore keys you do not know).\n",
};

std::string format_table(const std::vector<pyro::EnvironmentInfo>& envs) {
  size_t name_w = 4;  // "NAME"
  size_t path_w = 4;  // "PATH"
  for (const auto& e : envs) {
    name_w = std::max(name_w, e.name.size());
    path_w = std::max(path_w, e.path.empty() ? 1 : e.path.size());
  }
  std::string out = fmt::format("{:<{}}  {:<9}  {:<{}}  {}\n", "NAME", name_w, "INSTALLED", "PATH",
                                path_w, "DESCRIPTION");
  for (const auto& e : envs) {
    out += fmt::format("{:<{}}  {:<9}  {:<{}}  {}\n", e.name, name_w, e.installed ? "yes" : "no",
                       e.path.empty() ? "-" : e.path, path_w, e.description);
  }
  return out;
}

}  // namespace

int cmd_list_environments(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_args(kSpec, args);
  if (parsed.help) {
    write_bytes(stdout, format_help(kSpec));
    return kExitOk;
  }
  if (!parsed.positionals.empty()) {
    throw UsageError("env list", fmt::format("unexpected argument `{}`", parsed.positionals[0]));
  }
  pyro::Pyro client(global.client);
  std::vector<pyro::EnvironmentInfo> envs = client.list_environments();
  if (parsed.has("json")) {
    nlohmann::json doc = nlohmann::json::array();
    for (const auto& e : envs) doc.push_back(json_of(e));
    print_json_line(doc);
  } else {
    write_bytes(stdout, format_table(envs));
  }
  return kExitOk;
}

}  // namespace pyro_cli

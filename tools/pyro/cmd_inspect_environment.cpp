// `pyro env inspect`: the inspect_environment operation.
#include <array>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "args.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "pyro/client.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 1> kFlags = {{
    {"json", 0, "", "print the environment as one JSON object"},
}};

constexpr CommandSpec kSpec = {
    .path = "env inspect",
    .usage = "pyro env inspect NAME [--json]",
    .summary = "Describe one environment: source, packages, sizes, hashes, kernel and agent versions.",
    .flags = kFlags,
    .details = "Prints `key: value` lines. With --json one object with name, description,\n"
               "installed, path, kernel_version, agent_version, sha256, source, version,\n"
               "packages, size_bytes, built_at, has_rootfs and snapshot_ready (ignore keys\n"
               "you do not know).\n"
               "\n"
               "exit status: 0; 125 with `not_found` when NAME is unknown.\n",
};

std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }

std::string format_details(const pyro::EnvironmentInfo& e) {
  std::string packages = e.packages.empty() ? "-" : fmt::format("{}", fmt::join(e.packages, " "));
  std::string out;
  auto line = [&out](std::string_view key, std::string_view value) {
    out += fmt::format("{:<15} {}\n", fmt::format("{}:", key), value);
  };
  line("name", e.name);
  line("description", or_dash(e.description));
  line("source", or_dash(e.source));
  line("version", or_dash(e.version));
  line("installed", e.installed ? "yes" : "no");
  line("path", or_dash(e.path));
  line("size", e.installed ? fmt::format("{} ({} bytes)", format_size(e.size_bytes), e.size_bytes) : "-");
  line("built_at", or_dash(e.built_at));
  line("sha256", or_dash(e.sha256));
  line("kernel_version", or_dash(e.kernel_version));
  line("agent_version", or_dash(e.agent_version));
  line("rootfs", e.has_rootfs ? "yes" : "no");
  line("snapshot_ready", e.snapshot_ready ? "yes" : "no");
  line("packages", packages);
  return out;
}

}  // namespace

int cmd_inspect_environment(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_args(kSpec, args);
  if (parsed.help) {
    write_bytes(stdout, format_help(kSpec));
    return kExitOk;
  }
  if (parsed.positionals.empty()) throw UsageError("env inspect", "missing environment name, e.g. `busybox`");
  if (parsed.positionals.size() > 1) {
    throw UsageError("env inspect", fmt::format("unexpected argument `{}`", parsed.positionals[1]));
  }
  pyro::Pyro client(global.client);
  pyro::EnvironmentInfo env = client.inspect_environment(parsed.positionals[0]);
  if (parsed.has("json")) {
    print_json_line(json_of(env));
  } else {
    write_bytes(stdout, format_details(env));
  }
  return kExitOk;
}

}  // namespace pyro_cli

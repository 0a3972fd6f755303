// `pyro env pull`: the pull_environment operation. Progress lines go to stderr,
// the installed environment to stdout.
#include <array>

#include <fmt/format.h>

#include "args.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "pyro/client.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 2> kFlags = {{
    {"force", 0, "", "rebuild even when the cached environment is current"},
    {"json", 0, "", "print the environment as one JSON object (as `pyro env inspect --json`)"},
}};

constexpr CommandSpec kSpec = {
    .path = "env pull",
    .usage = "pyro env pull NAME [--force] [--json]",
    .summary = "Build a catalog environment into the local cache, or do nothing when it is current.",
    .flags = kFlags,
    .details = "Debian environments are built with mmdebstrap and need the Debian mirror;\n"
               "busybox needs no network. Progress goes to stderr as `pyro: ...` lines.\n"
               "Concurrent pulls of one environment wait for each other; an interrupted\n"
               "pull leaves the previous build in place.\n"
               "\n"
               "exit status: 0 when installed; 125 when pyro failed (`not_found` for a name\n"
               "outside the catalog, `unavailable` for missing tools or network).\n",
};

}  // namespace

int cmd_pull_environment(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_args(kSpec, args);
  if (parsed.help) {
    write_bytes(stdout, format_help(kSpec));
    return kExitOk;
  }
  if (parsed.positionals.empty()) throw UsageError("env pull", "missing environment name, e.g. `debian:12`");
  if (parsed.positionals.size() > 1) {
    throw UsageError("env pull", fmt::format("unexpected argument `{}`", parsed.positionals[1]));
  }
  pyro::PullOptions options;
  options.force = parsed.has("force");
  options.progress = stderr_progress();
  pyro::Pyro client(global.client);
  pyro::EnvironmentInfo env = client.pull_environment(parsed.positionals[0], options);
  if (parsed.has("json")) {
    print_json_line(json_of(env));
  } else {
    write_bytes(stdout, format_installed_line(env));
  }
  return kExitOk;
}

}  // namespace pyro_cli

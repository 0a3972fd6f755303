// `pyro env import`: the import_environment operation. Progress lines go to
// stderr, the imported environment to stdout.
#include <array>

#include <fmt/format.h>

#include "args.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "pyro/client.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 2> kFlags = {{
    {"force", 0, "", "replace an imported environment of the same name"},
    {"json", 0, "", "print the environment as one JSON object (as `pyro env inspect --json`)"},
}};

constexpr CommandSpec kSpec = {
    .path = "env import",
    .usage = "pyro env import NAME SOURCE [--force] [--json]",
    .summary = "Import an OCI image layout or a docker save tarball as an environment.",
    .flags = kFlags,
    .details = "SOURCE is an OCI image layout (a directory or a tarball of one) or the\n"
               "tarball written by `docker save`. Catalog names are reserved. Progress\n"
               "goes to stderr as `pyro: ...` lines.\n"
               "\n"
               "exit status: 0 when imported; 125 when pyro failed (`already_exists`\n"
               "without --force, `not_found` when SOURCE is missing, `invalid_argument`\n"
               "for an unsafe or malformed archive or a bad name).\n",
};

}  // namespace

int cmd_import_environment(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_args(kSpec, args);
  if (parsed.help) {
    write_bytes(stdout, format_help(kSpec));
    return kExitOk;
  }
  if (parsed.positionals.size() < 2) {
    throw UsageError("env import", parsed.positionals.empty() ? "missing environment name and SOURCE"
                                                              : "missing SOURCE (an image path)");
  }
  if (parsed.positionals.size() > 2) {
    throw UsageError("env import", fmt::format("unexpected argument `{}`", parsed.positionals[2]));
  }
  pyro::ImportOptions options;
  options.force = parsed.has("force");
  options.progress = stderr_progress();
  pyro::Pyro client(global.client);
  pyro::EnvironmentInfo env =
      client.import_environment(parsed.positionals[0], parsed.positionals[1], options);
  if (parsed.has("json")) {
    print_json_line(json_of(env));
  } else {
    write_bytes(stdout, format_installed_line(env));
  }
  return kExitOk;
}

}  // namespace pyro_cli

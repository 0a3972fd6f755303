// `pyro workspace sync push`: the push_workspace_sync operation.
#include <array>

#include <fmt/format.h>

#include "args.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "pyro/client.hpp"
#include "workspace_common.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 2> kFlags = {{
    {"dest", 0, "DIR", "directory under /workspace to copy into, created if missing (default /workspace)"},
    {"json", 0, "", "print the counts as one JSON object"},
}};

constexpr CommandSpec kSpec = {
    .path = "workspace sync push",
    .usage = "pyro workspace sync push WORKSPACE SOURCE [--dest DIR] [--json]",
    .summary = "Copy a host directory or archive (.tar, .tar.gz, .tgz, .zip) into a running workspace.",
    .flags = kFlags,
    .details = "Files are replaced one by one, each atomically; nothing is deleted. Prints\n"
               "the counts on one line; with --json one object: files, directories, symlinks,\n"
               "bytes (ignore keys you do not know).\n",
};

}  // namespace

int cmd_push_workspace_sync(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_args(kSpec, args);
  if (parsed.help) {
    write_bytes(stdout, format_help(kSpec));
    return kExitOk;
  }
  check_positionals(kSpec, parsed,
                    {"workspace: give its id or name", "source: a host directory or archive"});
  pyro::PushOptions options;
  if (auto* v = parsed.value("dest")) options.dest = *v;
  pyro::Pyro client(global.client);
  pyro::PushResult r = client.push_workspace_sync(parsed.positionals[0], parsed.positionals[1], options);
  print_json_or_text(parsed, json_of(r),
                     fmt::format("pushed {} files, {} directories, {} symlinks ({}) to {}\n", r.files,
                                 r.directories, r.symlinks, format_size(r.bytes), options.dest));
  return kExitOk;
}

}  // namespace pyro_cli

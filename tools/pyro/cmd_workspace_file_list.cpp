// `pyro workspace file list`: the list_workspace_files operation.
#include <array>

#include "args.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "pyro/client.hpp"
#include "workspace_common.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 2> kFlags = {{
    {"recursive", 'r', "", "descend into directories"},
    {"json", 0, "", "print one JSON array of file objects"},
}};

constexpr CommandSpec kSpec = {
    .path = "workspace file list",
    .usage = "pyro workspace file list WORKSPACE [PATH] [--recursive] [--json]",
    .summary = "List a directory (or one file) under /workspace of a running workspace.",
    .flags = kFlags,
    .details = "PATH is relative to /workspace (default: /workspace itself). Prints a table:\n"
               "TYPE MODE SIZE MTIME (UTC) PATH. With --json one array of objects: path, type\n"
               "(file, directory, symlink, other), size, mode, mtime (unix seconds), target\n"
               "(ignore keys you do not know).\n",
};

}  // namespace

int cmd_list_workspace_files(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_args(kSpec, args);
  if (parsed.help) {
    write_bytes(stdout, format_help(kSpec));
    return kExitOk;
  }
  check_positionals(kSpec, parsed, {"workspace: give its id or name"}, 1);
  std::string path = parsed.positionals.size() > 1 ? parsed.positionals[1] : "";
  pyro::Pyro client(global.client);
  auto entries = client.list_workspace_files(parsed.positionals[0], path, parsed.has("recursive"));
  if (parsed.has("json")) {
    print_json_line(to_json_array(entries));
  } else {
    write_bytes(stdout, format_file_table(entries));
  }
  return kExitOk;
}

}  // namespace pyro_cli

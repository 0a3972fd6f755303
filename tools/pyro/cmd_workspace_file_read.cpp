// `pyro workspace file read`: the read_workspace_file operation.
#include <array>

#include "args.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "pyro/client.hpp"
#include "workspace_common.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 2> kFlags = {{
    {"max-bytes", 0, "N", "read at most N bytes, 1-1048576 (default 65536)"},
    {"json", 0, "", "print one JSON object instead of the raw content"},
}};

constexpr CommandSpec kSpec = {
    .path = "workspace file read",
    .usage = "pyro workspace file read WORKSPACE PATH [--max-bytes N] [--json]",
    .summary = "Read a text file under /workspace of a running workspace.",
    .flags = kFlags,
    .details = "Copies the content unchanged to stdout; when the file is longer than\n"
               "--max-bytes a `pyro:` note on stderr says so. With --json one object: path,\n"
               "content, size (of the whole file), truncated (ignore keys you do not know).\n"
               "\n"
               "exit status: 0; 125 when pyro failed (not_found; invalid_argument: binary file).\n",
};

}  // namespace

int cmd_read_workspace_file(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_args(kSpec, args);
  if (parsed.help) {
    write_bytes(stdout, format_help(kSpec));
    return kExitOk;
  }
  check_positionals(kSpec, parsed, {"workspace: give its id or name", "path of the file to read"});
  uint64_t max_bytes = 65536;
  if (auto* v = parsed.value("max-bytes")) max_bytes = parse_u64(kSpec, "max-bytes", *v);
  pyro::Pyro client(global.client);
  pyro::WorkspaceFileContent content =
      client.read_workspace_file(parsed.positionals[0], parsed.positionals[1], max_bytes);
  if (parsed.has("json")) {
    print_json_line(to_json(content));
  } else {
    relay_file_content(content);
  }
  return kExitOk;
}

}  // namespace pyro_cli

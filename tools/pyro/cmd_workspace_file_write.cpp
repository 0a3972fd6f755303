// `pyro workspace file write`: the write_workspace_file operation.
#include <unistd.h>

#include <array>

#include <fmt/format.h>

#include "args.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "pyro/client.hpp"
#include "workspace_common.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 3> kFlags = {{
    {"text", 0, "TEXT", "the new content, as given"},
    {"from-file", 0, "F", "take the new content from host file F (`-`: stdin)"},
    {"json", 0, "", "print the written file as one JSON object"},
}};

constexpr CommandSpec kSpec = {
    .path = "workspace file write",
    .usage = "pyro workspace file write WORKSPACE PATH [--text TEXT | --from-file F] [--json]",
    .summary = "Create or replace a text file under /workspace atomically (parents are created).",
    .flags = kFlags,
    .details = "The content comes from --text, from --from-file, or from stdin when neither\n"
               "is given. It must be UTF-8 text of at most 1 MiB. Prints one line; with\n"
               "--json one object: path, type, size, mode, mtime, target (ignore keys you\n"
               "do not know).\n",
};

}  // namespace

int cmd_write_workspace_file(const GlobalOptions& global, Args args) {
  ParsedArgs parsed =
      parse_verb_args(kSpec, args, {"workspace: give its id or name", "path of the file to write"});
  if (parsed.help) return kExitOk;
  if (parsed.has("text") && parsed.has("from-file")) {
    throw UsageError("workspace file write", "give either `--text` or `--from-file`, not both");
  }
  std::string text;
  if (auto* v = parsed.value("text")) {
    text = *v;
  } else {
    if (!parsed.has("from-file") && isatty(STDIN_FILENO) != 0) {
      progress_note("reading the new content from stdin; end it with Ctrl-D");
    }
    text = read_host_input(parsed.value("from-file") ? *parsed.value("from-file") : "-", "content");
  }
  pyro::Pyro client(global.client);
  pyro::WorkspaceFileEntry entry =
      client.write_workspace_file(parsed.positionals[0], parsed.positionals[1], text);
  print_json_or_text(parsed, json_of(entry),
                     fmt::format("wrote {} ({} bytes)\n", entry.path, entry.size));
  return kExitOk;
}

}  // namespace pyro_cli

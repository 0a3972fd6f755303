// `pyro workspace shell read`: the read_shell operation.
#include <array>

#include "args.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "pyro/client.hpp"
#include "service_shell_common.hpp"
#include "workspace_common.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 4> kFlags = {{
    {"cursor", 0, "N", "read from byte offset N (a previous read's next cursor; default: the oldest kept)"},
    {"max-bytes", 0, "N", "read at most N bytes, 1-1048576 (default 65536)"},
    {"wait", 0, "SECONDS", "wait up to this long for output past the cursor (default 0)"},
    {"json", 0, "", "print one JSON object instead of the raw output"},
}};

constexpr CommandSpec kSpec = {
    .path = "workspace shell read",
    .usage = "pyro workspace shell read WORKSPACE SHELL_ID [--cursor N] [--max-bytes N] [--wait SECONDS] [--json]",
    .summary = "Read a shell's output from a cursor (replayable).",
    .flags = kFlags,
    .details = "Copies the terminal output (echo, prompts, \\r\\n line ends) unchanged to stdout;\n"
               "secret values appear as [REDACTED]. Then a `pyro: next cursor: N` note on stderr:\n"
               "`--cursor N` continues there, and reading from an older cursor replays output.\n"
               "\n"
               "With --json one object: shell_id, output, cursor, next_cursor, missed_bytes\n"
               "(dropped from the 1 MiB ring before the cursor), more, shell (the object of\n"
               "`shell open --json`) (ignore keys you do not know).\n",
};

}  // namespace

int cmd_read_shell(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_verb_args(kSpec, args, {"workspace: give its id or name", "shell id"});
  if (parsed.help) return kExitOk;
  pyro::OutputReadOptions options = parse_output_read_flags(kSpec, parsed);
  pyro::Pyro client(global.client);
  pyro::ShellOutput out = client.read_shell(parsed.positionals[0], parsed.positionals[1], options);
  if (parsed.has("json")) {
    print_json_line(json_of(out));
  } else {
    write_bytes(stdout, out.chunk.output);
    note_chunk(out.chunk, true);
  }
  return kExitOk;
}

}  // namespace pyro_cli

// `pyro workspace shell resize`: the resize_shell operation.
#include <array>

#include "args.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "pyro/client.hpp"
#include "service_shell_common.hpp"
#include "workspace_common.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 3> kFlags = {{
    {"cols", 0, "N", "terminal width, 1-1000 (required)"},
    {"rows", 0, "N", "terminal height, 1-1000 (required)"},
    {"json", 0, "", "print the shell as one JSON object"},
}};

constexpr CommandSpec kSpec = {
    .path = "workspace shell resize",
    .usage = "pyro workspace shell resize WORKSPACE SHELL_ID --cols N --rows N [--json]",
    .summary = "Change a shell's terminal size.",
    .flags = kFlags,
    .details = "Prints the shell's state; with --json the object of `shell open --json`.\n",
};

}  // namespace

int cmd_resize_shell(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_verb_args(kSpec, args, {"workspace: give its id or name", "shell id"});
  if (parsed.help) return kExitOk;
  if (!parsed.has("cols") || !parsed.has("rows")) {
    throw UsageError(std::string(kSpec.path), "give both `--cols` and `--rows`");
  }
  uint32_t cols = parse_u32(kSpec, "cols", *parsed.value("cols"));
  uint32_t rows = parse_u32(kSpec, "rows", *parsed.value("rows"));
  pyro::Pyro client(global.client);
  pyro::ShellInfo shell = client.resize_shell(parsed.positionals[0], parsed.positionals[1], cols, rows);
  print_json_or_text(parsed, json_of(shell), format_shell_line(shell));
  return kExitOk;
}

}  // namespace pyro_cli

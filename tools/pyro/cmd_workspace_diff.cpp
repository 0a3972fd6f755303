// `pyro workspace diff`: the diff_workspace operation.
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
    {"stat", 0, "", "print one line per changed path and the counts instead of the diff"},
    {"json", 0, "", "print the whole result as one JSON object"},
}};

constexpr CommandSpec kSpec = {
    .path = "workspace diff",
    .usage = "pyro workspace diff WORKSPACE [--stat] [--json]",
    .summary = "Compare /workspace with its baseline (the seed content); works running or stopped.",
    .flags = kFlags,
    .details =
        "Prints the `diff -u` text of the changed text files (nothing when unchanged),\n"
        "then a `Binary file PATH differs` line per changed binary file. --stat prints\n"
        "`STATUS PATH` lines (added, modified, deleted, type_changed) and a summary line.\n"
        "With --json one object: entries (path, status, type, old_size, new_size,\n"
        "binary), unified, added, modified, deleted, changed (ignore keys you do not know).\n"
        "\n"
        "exit status: 0 whether or not anything changed; 125 when pyro failed.\n",
};

std::string format_stat(const pyro::WorkspaceDiff& d) {
  std::string out;
  for (const auto& e : d.entries) {
    out += fmt::format("{:<12} {}{}\n", e.status, e.path, e.binary ? " (binary)" : "");
  }
  out += fmt::format("{} added, {} modified, {} deleted\n", d.added, d.modified, d.deleted);
  return out;
}

}  // namespace

int cmd_diff_workspace(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_verb_args(kSpec, args, {"workspace: give its id or name"});
  if (parsed.help) return kExitOk;
  if (parsed.has("stat") && parsed.has("json")) {
    throw UsageError("workspace diff", "give either `--stat` or `--json`, not both");
  }
  pyro::Pyro client(global.client);
  pyro::WorkspaceDiff diff = client.diff_workspace(parsed.positionals[0]);
  if (parsed.has("json")) {
    print_json_line(json_of(diff));
  } else if (parsed.has("stat")) {
    write_bytes(stdout, format_stat(diff));
  } else {
    std::string out = diff.unified;
    if (!out.empty() && out.back() != '\n') out += '\n';
    // The unified text covers text files only; name the rest the way diff(1) does.
    for (const auto& e : diff.entries) {
      if (e.binary) out += fmt::format("Binary file {} differs\n", e.path);
    }
    write_bytes(stdout, out);
  }
  return kExitOk;
}

}  // namespace pyro_cli

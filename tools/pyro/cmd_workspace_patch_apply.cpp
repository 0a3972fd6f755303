// `pyro workspace patch apply`: the apply_workspace_patch operation.
#include <algorithm>
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
    {"patch-file", 0, "F", "the unified diff (diff -u or git diff); `-` reads stdin"},
    {"dry-run", 0, "", "check every hunk, change nothing"},
    {"json", 0, "", "print the result as one JSON object"},
}};

constexpr CommandSpec kSpec = {
    .path = "workspace patch apply",
    .usage = "pyro workspace patch apply WORKSPACE --patch-file F [--dry-run] [--json]",
    .summary = "Apply a unified diff to /workspace atomically: every hunk of every file, or nothing.",
    .flags = kFlags,
    .details =
        "When every hunk matches, the patch is applied (unless --dry-run) and the\n"
        "summary goes to stdout. When one does not, nothing changes: the summary and a\n"
        "per-file, per-hunk report go to stderr and the exit status is 1. With --json\n"
        "stdout holds one object either way: applied, dry_run, files (path, old_path,\n"
        "action, ok, message, hunks: index, old_start, applied, offset, message) and\n"
        "summary (ignore keys you do not know).\n"
        "\n"
        "exit status: 0 applied (or would apply); 1 not applied; 125 when pyro failed\n"
        "(invalid_argument: malformed patch or a path outside /workspace).\n",
};

// The per-file, per-hunk report of a patch that did not apply.
std::string format_report(const pyro::PatchResult& r) {
  std::string out = fmt::format("pyro: {}\n", r.summary);
  for (const auto& f : r.files) {
    std::string name = f.old_path.empty() || f.old_path == f.path
                           ? f.path
                           : fmt::format("{} -> {}", f.old_path, f.path);
    out += fmt::format("  {} {} ({}){}{}\n", f.ok ? "ok  " : "FAIL", name, f.action,
                       f.message.empty() ? "" : ": ", f.message);
    for (const auto& h : f.hunks) {
      std::string where = h.applied && h.offset != 0 ? fmt::format(", offset {}", h.offset) : "";
      out += fmt::format("    hunk {} at line {}: {}{}{}{}\n", h.index, h.old_start,
                         h.applied ? "matches" : "does not match", where,
                         h.message.empty() ? "" : ": ", h.message);
    }
  }
  return out;
}

}  // namespace

int cmd_apply_workspace_patch(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_verb_args(kSpec, args, {"workspace: give its id or name"});
  if (parsed.help) return kExitOk;
  const std::string* patch_file = parsed.value("patch-file");
  if (patch_file == nullptr) {
    throw UsageError("workspace patch apply", "missing `--patch-file F` (`-` reads stdin)");
  }
  std::string patch = read_host_input(*patch_file, "patch");
  pyro::PatchOptions options;
  options.dry_run = parsed.has("dry-run");
  pyro::Pyro client(global.client);
  pyro::PatchResult r = client.apply_workspace_patch(parsed.positionals[0], patch, options);
  // A dry run "applies" when every hunk matched, though nothing changed.
  bool ok = r.applied || (r.dry_run && !r.files.empty() &&
                          std::all_of(r.files.begin(), r.files.end(), [](const auto& f) { return f.ok; }));
  if (parsed.has("json")) {
    print_json_line(json_of(r));
  } else if (ok) {
    write_bytes(stdout, r.summary + "\n");
  } else {
    write_bytes(stderr, format_report(r));
  }
  return ok ? kExitOk : kExitCheckFailed;
}

}  // namespace pyro_cli

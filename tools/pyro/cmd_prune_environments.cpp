// `pyro env prune`: the prune_environments operation.
#include <array>

#include <fmt/format.h>

#include "args.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "pyro/client.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 3> kFlags = {{
    {"all", 0, "", "also remove every installed environment"},
    {"dry-run", 0, "", "print what would be removed, remove nothing"},
    {"json", 0, "", "print one JSON object: removed (paths) and bytes_freed"},
}};

constexpr CommandSpec kSpec = {
    .path = "env prune",
    .usage = "pyro env prune [--all] [--dry-run] [--json]",
    .summary = "Remove stale cache entries, and with --all every environment.",
    .flags = kFlags,
    .details = "Stale entries are old builds, unreferenced snapshot templates and\n"
               "downloads. Prints one `removed PATH` line per path (`would remove` with\n"
               "--dry-run), then the total.\n",
};

std::string format_result(const pyro::PruneResult& r, bool dry_run) {
  std::string out;
  for (const auto& path : r.removed) {
    out += fmt::format("{} {}\n", dry_run ? "would remove" : "removed", path);
  }
  out += fmt::format("{} {} in {} path{}\n", dry_run ? "would free" : "freed",
                     format_size(r.bytes_freed), r.removed.size(), r.removed.size() == 1 ? "" : "s");
  return out;
}

}  // namespace

int cmd_prune_environments(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_args(kSpec, args);
  if (parsed.help) {
    write_bytes(stdout, format_help(kSpec));
    return kExitOk;
  }
  if (!parsed.positionals.empty()) {
    throw UsageError("env prune", fmt::format("unexpected argument `{}`", parsed.positionals[0]));
  }
  pyro::PruneOptions options;
  options.all = parsed.has("all");
  options.dry_run = parsed.has("dry-run");
  pyro::Pyro client(global.client);
  pyro::PruneResult result = client.prune_environments(options);
  if (parsed.has("json")) {
    print_json_line(json_of(result));
  } else {
    write_bytes(stdout, format_result(result, options.dry_run));
  }
  return kExitOk;
}

}  // namespace pyro_cli

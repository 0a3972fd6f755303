// `pyro version`: the version of the linked library (not an operation of the table).
#include <array>

#include <fmt/format.h>

#include "args.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "pyro/version.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 1> kFlags = {{
    {"json", 0, "", "print {\"version\": ...} as one JSON object"},
}};

constexpr CommandSpec kSpec = {
    .path = "version",
    .usage = "pyro version [--json]",
    .summary = "Print the version of the pyro library this CLI runs on.",
    .flags = kFlags,
};

}  // namespace

int cmd_version(const GlobalOptions& /*global*/, Args args) {
  ParsedArgs parsed = parse_args(kSpec, args);
  if (parsed.help) {
    write_bytes(stdout, format_help(kSpec));
    return kExitOk;
  }
  if (!parsed.positionals.empty()) {
    throw UsageError("version", fmt::format("unexpected argument `{}`", parsed.positionals[0]));
  }
  if (parsed.has("json")) {
    print_json_line({{"version", pyro::version()}});
  } else {
    write_bytes(stdout, fmt::format("pyro {}\n", pyro::version()));
  }
  return kExitOk;
}

}  // namespace pyro_cli

// `pyro workspace service logs`: the logs_service operation, once or --follow.
#include <array>

#include <fmt/format.h>

#include "args.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "pyro/client.hpp"
#include "service_shell_common.hpp"
#include "workspace_common.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 6> kFlags = {{
    {"cursor", 0, "N", "read from byte offset N (a previous read's next cursor)"},
    {"tail", 0, "N", "without --cursor: the last N lines (default 100)"},
    {"max-bytes", 0, "N", "read at most N bytes per call, 1-1048576 (default 65536)"},
    {"wait", 0, "SECONDS", "wait up to this long for output past the cursor (default 0)"},
    {"follow", 'f', "", "keep reading until the service ends or Ctrl-C"},
    {"json", 0, "", "print one JSON object per read instead of the raw output"},
}};

constexpr std::string_view kDetails =
    "Copies the service's output (stdout and stderr, as written) to stdout; secret\n"
    "values appear as [REDACTED]. Then a `pyro: next cursor: N` note on stderr:\n"
    "`--cursor N` continues there. --follow reads on from each next cursor until the\n"
    "service has ended and its output is drained (waiting 5 s per read unless --wait).\n"
    "\n"
    "With --json one object per read: name, output, cursor, next_cursor, missed_bytes\n"
    "(dropped from the 1 MiB ring before the cursor), more, service (the object of\n"
    "`service status --json`) (ignore keys you do not know).\n";

constexpr CommandSpec kSpec = {
    .path = "workspace service logs",
    .usage = "pyro workspace service logs WORKSPACE NAME [--cursor N | --tail N] [--max-bytes N] "
             "[--wait SECONDS] [--follow] [--json]",
    .summary = "Read a service's output, the last lines or from a cursor.",
    .flags = kFlags,
    .details = kDetails,
};

constexpr double kFollowWaitSeconds = 5;

}  // namespace

int cmd_logs_service(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_verb_args(kSpec, args, {"workspace: give its id or name", "service name"});
  if (parsed.help) return kExitOk;
  if (parsed.has("cursor") && parsed.has("tail")) {
    throw UsageError(std::string(kSpec.path), "give either `--cursor` or `--tail`, not both");
  }
  pyro::OutputReadOptions options = parse_output_read_flags(kSpec, parsed);
  bool follow = parsed.has("follow");
  if (follow && !parsed.has("wait")) options.wait_seconds = kFollowWaitSeconds;
  bool json = parsed.has("json");

  pyro::Pyro client(global.client);
  const std::string& workspace = parsed.positionals[0];
  const std::string& name = parsed.positionals[1];
  for (bool first = true;; first = false) {
    pyro::ServiceLogs logs = client.logs_service(workspace, name, options);
    bool done = !follow || (!logs.chunk.more && !service_is_live(logs.service));
    // Following, an empty read is only worth a JSON line when it is the first or the last.
    if (json && (!follow || first || done || !logs.chunk.output.empty())) {
      print_json_line(json_of(logs));
    } else if (!json) {
      write_bytes(stdout, logs.chunk.output);
      note_chunk(logs.chunk, done);
    }
    if (done) break;
    options.cursor = logs.chunk.next_cursor;
  }
  return kExitOk;
}

}  // namespace pyro_cli

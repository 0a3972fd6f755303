// `pyro workspace service start`: the start_service operation.
#include <array>
#include <string>

#include <fmt/format.h>

#include "args.hpp"
#include "cli.hpp"
#include "exec_output.hpp"
#include "output.hpp"
#include "pyro/client.hpp"
#include "service_shell_common.hpp"
#include "workspace_common.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 13> kFlags = {{
    {"publish", 0, "GUEST_PORT", "forward 127.0.0.1:<free port> to this guest TCP port (repeatable)", true},
    {"ready-http", 0, "URL", "ready when GET URL (http://127.0.0.1:PORT/...) returns 2xx"},
    {"ready-tcp", 0, "PORT", "ready when 127.0.0.1:PORT accepts a connection"},
    {"ready-file", 0, "PATH", "ready when PATH exists (relative to the service's cwd)"},
    {"ready-command", 0, "CMD", "ready when `sh -c CMD` exits 0"},
    {"ready-timeout", 0, "SECONDS", "give up (and stop the service) after this, at most 600 (default 30)"},
    {"ready-interval-ms", 0, "MS", "time between readiness checks (default 200)"},
    {"cwd", 0, "DIR", "working directory in the guest (default /workspace)"},
    {"env", 0, "K=V", "add a variable to the service's environment (repeatable)", true},
    {"secret-env", 0, "ENV=SECRET", "set ENV to the workspace secret SECRET (repeatable)", true},
    {"restart", 0, "POLICY", "never (default), on-failure or always"},
    {"max-restarts", 0, "N", "then the service stays exited (default 5)"},
    {"json", 0, "", "print the service as one JSON object"},
}};

constexpr std::string_view kDetails =
    "COMMAND runs with /bin/sh -c under the guest agent's supervision; it survives\n"
    "exec calls and ends with the workspace. The command waits until at most one\n"
    "--ready-* check passes (without one: once spawned). A service that never\n"
    "becomes ready is stopped (state failed) and the error ends with its last log lines.\n"
    "\n"
    "--publish needs a workspace created with --network-policy egress+published-ports;\n"
    "each guest port gets a free port on 127.0.0.1 of the host.\n"
    "\n"
    "Prints the state, then one `127.0.0.1:HOST_PORT -> guest PORT` line per published\n"
    "port. With --json one object: name, command, cwd, state, pid, exit_code, signal,\n"
    "restarts, started_at, ended_at, readiness, ready, published_ports (objects:\n"
    "guest_port, host_port, host) (ignore keys you do not know).\n"
    "\n"
    "exit status: 0; 125 when pyro failed (already_exists: a service of that name is\n"
    "running; deadline_exceeded: not ready in time; failed_precondition: the process\n"
    "exited before it was ready, or ports published without the network policy).\n";

constexpr CommandSpec kSpec = {
    .path = "workspace service start",
    .usage = "pyro workspace service start WORKSPACE NAME [OPTIONS] -- COMMAND...",
    .summary = "Start a long-running service in a workspace and wait until it is ready.",
    .flags = kFlags,
    .details = kDetails,
    .takes_rest = true,
};

pyro::ServiceReadiness parse_readiness(const ParsedArgs& parsed) {
  size_t given = parsed.count("ready-http") + parsed.count("ready-tcp") + parsed.count("ready-file") +
                 parsed.count("ready-command");
  if (given > 1) {
    throw UsageError(std::string(kSpec.path),
                     "give at most one of `--ready-http`, `--ready-tcp`, `--ready-file`, `--ready-command`");
  }
  pyro::ServiceReadiness readiness;
  if (auto* url = parsed.value("ready-http")) {
    readiness.type = "http";
    readiness.url = *url;
  } else if (auto* port = parsed.value("ready-tcp")) {
    readiness.type = "tcp";
    readiness.port = parse_port(kSpec, "ready-tcp", *port);
  } else if (auto* path = parsed.value("ready-file")) {
    readiness.type = "file";
    readiness.path = *path;
  } else if (auto* command = parsed.value("ready-command")) {
    readiness.type = "command";
    readiness.command = *command;
  }
  if (auto* v = parsed.value("ready-timeout")) {
    readiness.timeout_seconds = parse_number(kSpec, "ready-timeout", *v);
  }
  if (auto* v = parsed.value("ready-interval-ms")) readiness.interval_ms = parse_u32(kSpec, "ready-interval-ms", *v);
  return readiness;
}

std::string parse_restart(const std::string& value) {
  if (value == "never" || value == "on-failure" || value == "always") return value;
  throw UsageError(std::string(kSpec.path),
                   fmt::format("parse `--restart`: `{}` is not one of never, on-failure, always", value));
}

}  // namespace

int cmd_start_service(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_args(kSpec, args);
  if (parsed.help) {
    write_bytes(stdout, format_help(kSpec));
    return kExitOk;
  }
  // Words past NAME are reported by command_after_separator, with a hint about `--`.
  size_t extra = parsed.positionals.size() > 2 ? parsed.positionals.size() - 2 : 0;
  check_positionals(kSpec, parsed, {"workspace: give its id or name", "service name"}, extra);
  std::string command = command_after_separator(
      kSpec, parsed, "pyro workspace service start WS web -- httpd -f -p 8080", 2);
  pyro::ServiceOptions options;
  if (auto* v = parsed.value("cwd")) options.cwd = *v;
  options.env = parse_key_values(kSpec, "env", parsed.values("env"));
  options.secret_env = parse_key_values(kSpec, "secret-env", parsed.values("secret-env"));
  options.readiness = parse_readiness(parsed);
  for (const auto& v : parsed.values("publish")) options.published_ports.push_back(parse_port(kSpec, "publish", v));
  if (auto* v = parsed.value("restart")) options.restart = parse_restart(*v);
  if (auto* v = parsed.value("max-restarts")) options.max_restarts = parse_u32(kSpec, "max-restarts", *v);

  pyro::Pyro client(global.client);
  progress_note(fmt::format("starting service `{}`", parsed.positionals[1]));
  pyro::ServiceInfo info = client.start_service(parsed.positionals[0], parsed.positionals[1], command, options);
  print_json_or_text(parsed, json_of(info), format_service_summary(info));
  return kExitOk;
}

}  // namespace pyro_cli

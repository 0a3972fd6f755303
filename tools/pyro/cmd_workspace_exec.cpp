// `pyro workspace exec`: the exec_workspace operation. Like `pyro run`, but in a
// running workspace, whose files and state persist between calls.
#include <array>

#include "args.hpp"
#include "cli.hpp"
#include "exec_output.hpp"
#include "output.hpp"
#include "pyro/client.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 6> kFlags = {{
    {"timeout-seconds", 0, "S", "the guest kills the command after S seconds (default 30)"},
    {"env", 0, "K=V", "add a variable to the command's environment (repeatable)", true},
    {"secret-env", 0, "ENV=SECRET", "set ENV to the workspace secret SECRET (repeatable)", true},
    {"cwd", 0, "DIR", "working directory in the guest (default /workspace)"},
    {"max-output-bytes", 0, "N", "keep at most N bytes per stream (default 1048576)"},
    {"json", 0, "", "print the result as one JSON object instead of relaying output"},
}};

constexpr std::string_view kDetails =
    "COMMAND is run with /bin/sh -c. One word after `--` is used as the shell\n"
    "string as given (`-- 'make && ./a.out'`); several words are shell-quoted and\n"
    "joined, so they reach the guest exactly as typed (`-- echo 'a b'`).\n"
    "\n"
    "Without --json the guest's stdout and stderr are copied unchanged to\n"
    "stdout and stderr; a timeout or truncation adds one `pyro:` note on stderr.\n"
    "With --json stdout holds one JSON object: exit_code, signal, timed_out,\n"
    "stdout, stderr, stdout_truncated, stderr_truncated, duration_ms, vm_id\n"
    "(ignore keys you do not know).\n"
    "\n"
    "--secret-env hands a secret given to `workspace create --secret[-file]` to this\n"
    "command only; its value is replaced by [REDACTED] in everything printed.\n"
    "\n"
    "exit status: the guest command's exit code (128+N when killed by signal N,\n"
    "137 on timeout); 125 when pyro itself failed (failed_precondition: the\n"
    "workspace is not running); 64 on a usage error.\n";

constexpr CommandSpec kSpec = {
    .path = "workspace exec",
    .usage = "pyro workspace exec WORKSPACE [OPTIONS] -- COMMAND...",
    .summary = "Run one shell command in a running workspace.",
    .flags = kFlags,
    .details = kDetails,
    .takes_rest = true,
};

}  // namespace

int cmd_exec_workspace(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_args(kSpec, args);
  if (parsed.help) {
    write_bytes(stdout, format_help(kSpec));
    return kExitOk;
  }
  if (parsed.positionals.empty()) {
    throw UsageError("workspace exec", "missing workspace: give its id or name");
  }
  std::string command = command_after_separator(kSpec, parsed, "pyro workspace exec WS -- ls");
  pyro::ExecOptions exec = parse_exec_flags(kSpec, parsed);
  exec.secret_env = parse_key_values(kSpec, "secret-env", parsed.values("secret-env"));

  pyro::Pyro client(global.client);
  pyro::ExecResult result = client.exec_workspace(parsed.positionals[0], command, exec);
  return print_exec_result(parsed, result, exec);
}

}  // namespace pyro_cli

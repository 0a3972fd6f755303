// `pyro run`: the run_in_vm operation. Boots a fresh VM, runs one command,
// relays its output byte for byte and exits with the guest command's status.
#include <array>
#include <string>

#include "args.hpp"
#include "cli.hpp"
#include "interrupt.hpp"
#include "exec_output.hpp"
#include "output.hpp"
#include "pyro/client.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 9> kFlags = {{
    {"vcpu-count", 0, "N", "virtual CPUs, 1-8 (default 1)"},
    {"mem-mib", 0, "N", "guest memory in MiB, 64-16384 (default 256)"},
    {"timeout-seconds", 0, "S", "the guest kills the command after S seconds (default 30)"},
    {"network", 0, "", "give the VM a user-mode NIC (default: no network at all)"},
    {"env", 0, "K=V", "add a variable to the command's environment (repeatable)", true},
    {"cwd", 0, "DIR", "working directory in the guest (default /)"},
    {"max-output-bytes", 0, "N", "keep at most N bytes per stream (default 1048576)"},
    {"json", 0, "", "print the result as one JSON object instead of relaying output"},
    {"pull", 0, "", "pull ENV first when it is a catalog environment not yet installed"},
}};

constexpr std::string_view kDetails =
    "COMMAND is run with /bin/sh -c. One word after `--` is used as the shell\n"
    "string as given (`-- 'ls | wc -l'`); several words are shell-quoted and\n"
    "joined, so they reach the guest exactly as typed (`-- echo 'a b'`).\n"
    "\n"
    "Without --json the guest's stdout and stderr are copied unchanged to\n"
    "stdout and stderr; a timeout or truncation adds one `pyro:` note on stderr.\n"
    "With --json stdout holds one JSON object: exit_code, signal, timed_out,\n"
    "stdout, stderr, stdout_truncated, stderr_truncated, duration_ms, vm_id\n"
    "(ignore keys you do not know).\n"
    "\n"
    "exit status: the guest command's exit code (128+N when killed by signal N,\n"
    "137 on timeout); 125 when pyro itself failed; 64 on a usage error;\n"
    "128+N when interrupted by signal N (the VM is deleted first).\n";

constexpr CommandSpec kSpec = {
    .path = "run",
    .usage = "pyro run ENV [OPTIONS] -- COMMAND...",
    .summary = "Boot a fresh VM of environment ENV, run one shell command in it, delete the VM.",
    .flags = kFlags,
    .details = kDetails,
    .takes_rest = true,
};

}  // namespace

int cmd_run_in_vm(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_args(kSpec, args);
  if (parsed.help) {
    write_bytes(stdout, format_help(kSpec));
    return kExitOk;
  }
  if (parsed.positionals.empty()) throw UsageError("run", "missing environment, e.g. `busybox`");
  const std::string& environment = parsed.positionals[0];
  std::string command = command_after_separator(kSpec, parsed, "pyro run ENV -- echo hi");

  pyro::VmOptions vm;
  if (auto* v = parsed.value("vcpu-count")) vm.vcpu_count = parse_u32(kSpec, "vcpu-count", *v);
  if (auto* v = parsed.value("mem-mib")) vm.mem_mib = parse_u32(kSpec, "mem-mib", *v);
  vm.network = parsed.has("network");
  pyro::ExecOptions exec = parse_exec_flags(kSpec, parsed);

  pyro::ClientOptions client_options = global.client;
  if (parsed.has("pull")) client_options.auto_pull = true;
  pyro::Pyro client(client_options);
  pyro::ExecResult result;
  {
    InterruptGuard guard(client);
    try {
      result = client.run_in_vm(environment, command, vm, exec);
    } catch (...) {
      guard.check();  // an interrupted run fails; report the interruption instead
      throw;
    }
    guard.check();
  }

  return print_exec_result(parsed, result, exec);
}

}  // namespace pyro_cli

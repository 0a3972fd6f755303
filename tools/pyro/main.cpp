// pyro CLI entry point: global flags, verb dispatch, the stderr log handler,
// and the mapping of failures to exit codes (docs/cli.md):
//   guest exit code (`pyro run`), 0 ok, 1 doctor check failed,
//   64 usage error, 125 pyro itself failed, 128+N interrupted by signal N.
#include <array>
#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "args.hpp"
#include "interrupt.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "mcp/cmd_mcp.hpp"
#include "pyro/error.hpp"
#include "pyro/log.hpp"
#include "pyro/version.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 8> kGlobalFlags = {{
    {"home", 0, "DIR", "cache and state directory (default: $PYRO_HOME, else ~/.cache/pyro)"},
    {"accelerator", 0, "auto|kvm|tcg", "how to run guests (default: $PYRO_ACCEL, else auto)"},
    {"guest-dir", 0, "DIR", "guest agent and build scripts (default: $PYRO_GUEST_DIR, else installed)"},
    {"auto-pull", 0, "", "pull a catalog environment on first use instead of failing"},
    {"no-snapshots", 0, "", "boot every VM from scratch (default: $PYRO_SNAPSHOTS, else on)"},
    {"jail", 0, "strict|best-effort|off", "how each VMM is confined (default: $PYRO_JAIL, else best-effort)"},
    {"verbose", 'v', "", "log more on stderr: -v info, -vv debug, -vvv trace", true},
    {"version", 0, "", "print the library version and exit"},
}};

constexpr std::string_view kGlobalDetails =
    "verbs:\n"
    "  run ENV -- COMMAND...   boot a fresh VM, run one shell command in it, delete the VM\n"
    "  env list                list the environments and whether each is installed\n"
    "  env pull NAME           build a catalog environment into the cache\n"
    "  env inspect NAME        describe one environment\n"
    "  env prune               remove stale cache entries (--all: every environment)\n"
    "  env import NAME SOURCE  import an OCI layout or docker save tarball\n"
    "  mcp serve [--profile P] serve pyro's tools over MCP on stdin/stdout\n"
    "  workspace SUB-VERB ...  persistent workspaces: create, exec, file, patch, diff,\n"
    "                          snapshot, reset, stop, start, disk, service, shell...\n"
    "                          (`pyro workspace --help`)\n"
    "  doctor                  check the host and say why anything is unusable\n"
    "  version                 print the library version\n"
    "  help [VERB]             show help for pyro or for one verb\n"
    "\n"
    "Results go to stdout; logs, notes and errors go to stderr.\n"
    "\n"
    "exit status:\n"
    "  N     `pyro run`: the guest command's exit code (128+signal when killed)\n"
    "  0     success\n"
    "  1     `pyro doctor`: a check failed; `pyro workspace patch apply`: not applied\n"
    "  64    usage error (bad flag, missing argument)\n"
    "  125   pyro itself failed (VM did not boot, environment not found, ...)\n"
    "  128+N interrupted by signal N (the VM is deleted first)\n";

constexpr CommandSpec kGlobalSpec = {
    .path = "",
    .usage = "pyro [GLOBAL OPTIONS] VERB [ARGS...]",
    .summary = "Run shell commands in throwaway QEMU microVMs and persistent workspaces.",
    .flags = kGlobalFlags,
    .details = kGlobalDetails,
    .stop_at_positional = true,
};

pyro::LogLevel log_level_for(int verbosity) {
  switch (verbosity) {
    case 0: return pyro::LogLevel::kWarn;
    case 1: return pyro::LogLevel::kInfo;
    case 2: return pyro::LogLevel::kDebug;
    default: return pyro::LogLevel::kTrace;
  }
}

void install_log_handler(int verbosity) {
  pyro::set_log_handler(log_level_for(verbosity), [](pyro::LogLevel level, std::string_view msg) {
    // One fwrite per line, so lines from library threads do not interleave.
    std::string line = fmt::format("pyro: {}: {}\n", pyro::log_level_name(level), msg);
    std::fwrite(line.data(), 1, line.size(), stderr);
  });
}

constexpr std::string_view kEnvHelp =
    "usage: pyro env SUB-VERB [ARGS...]\n"
    "\n"
    "Environments: the boot sets (kernel, rootfs, agent) VMs are made from.\n"
    "\n"
    "sub-verbs:\n"
    "  list [--json]                           list the catalog and imported environments\n"
    "  pull NAME [--force] [--json]            build a catalog environment into the cache\n"
    "  inspect NAME [--json]                   describe one environment\n"
    "  prune [--all] [--dry-run] [--json]      remove stale cache entries\n"
    "  import NAME SOURCE [--force] [--json]   import an OCI layout or docker save tarball\n"
    "\n"
    "`pyro env SUB-VERB --help` describes one.\n";

// Runs `verb` with `args` (the words after it).
int dispatch(const GlobalOptions& global, const std::string& verb, Args args) {
  if (verb == "run") return cmd_run_in_vm(global, args);
  if (verb == "doctor") return cmd_doctor(global, args);
  if (verb == "version") return cmd_version(global, args);
  if (verb == "mcp") return cmd_mcp(global, args);
  if (verb == "workspace") return dispatch_workspace(global, args);
  if (verb == "env") {
    if (args.empty()) throw UsageError("env", "missing sub-verb after `env`: try `pyro env list`");
    if (args[0] == "list") return cmd_list_environments(global, args.subspan(1));
    if (args[0] == "pull") return cmd_pull_environment(global, args.subspan(1));
    if (args[0] == "inspect") return cmd_inspect_environment(global, args.subspan(1));
    if (args[0] == "prune") return cmd_prune_environments(global, args.subspan(1));
    if (args[0] == "import") return cmd_import_environment(global, args.subspan(1));
    if (args[0] == "--help" || args[0] == "-h") {
      write_bytes(stdout, kEnvHelp);
      return kExitOk;
    }
    throw UsageError("env", fmt::format("unknown verb `env {}`: try `pyro env --help`", args[0]));
  }
  if (verb == "help") {
    if (args.empty()) {
      write_bytes(stdout, format_help(kGlobalSpec));
      return kExitOk;
    }
    std::vector<std::string> with_help(args.begin() + 1, args.end());
    with_help.push_back("--help");
    return dispatch(global, args[0], with_help);
  }
  throw UsageError("", fmt::format("unknown verb `{}`", verb));
}

int run(Args args) {
  ParsedArgs parsed = parse_args(kGlobalSpec, args);
  if (parsed.help) {
    write_bytes(stdout, format_help(kGlobalSpec));
    return kExitOk;
  }
  if (parsed.has("version")) {
    write_bytes(stdout, fmt::format("pyro {}\n", pyro::version()));
    return kExitOk;
  }
  GlobalOptions global;
  if (auto* v = parsed.value("home")) global.client.home = *v;
  if (auto* v = parsed.value("accelerator")) global.client.accelerator = *v;
  if (auto* v = parsed.value("guest-dir")) global.client.guest_dir = *v;
  global.client.auto_pull = parsed.has("auto-pull");
  if (parsed.has("no-snapshots")) global.client.snapshots = "0";
  if (auto* v = parsed.value("jail")) global.client.jail = *v;
  global.verbosity = static_cast<int>(parsed.count("verbose"));
  if (parsed.consumed >= args.size()) throw UsageError("", "missing verb");
  install_log_handler(global.verbosity);
  return dispatch(global, args[parsed.consumed], args.subspan(parsed.consumed + 1));
}

void print_usage_error(const UsageError& e) {
  std::string where = e.command().empty() ? "pyro --help" : fmt::format("pyro {} --help", e.command());
  std::string text = fmt::format("pyro: usage error: {}\npyro: see `{}`\n", e.what(), where);
  std::fwrite(text.data(), 1, text.size(), stderr);
}

void print_error(std::string_view message, std::string_view code) {
  std::string text = fmt::format("pyro: error: {} [{}]\n", message, code);
  std::fwrite(text.data(), 1, text.size(), stderr);
}

}  // namespace

bool is_global_flag(std::string_view flag) {
  for (const auto& f : kGlobalFlags) {
    if (flag == fmt::format("--{}", f.name)) return true;
    if (f.short_name != 0 && flag == fmt::format("-{}", f.short_name)) return true;
  }
  return false;
}

}  // namespace pyro_cli

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  int status = pyro_cli::kExitPyroError;
  try {
    status = pyro_cli::run(args);
  } catch (const pyro_cli::Interrupted& e) {
    std::string text = fmt::format("pyro: interrupted by signal {}\n", e.signal);
    std::fwrite(text.data(), 1, text.size(), stderr);
    status = 128 + e.signal;
  } catch (const pyro_cli::UsageError& e) {
    pyro_cli::print_usage_error(e);
    status = pyro_cli::kExitUsage;
  } catch (const pyro::Error& e) {
    pyro_cli::print_error(e.what(), pyro::error_code_name(e.code()));
  } catch (const std::bad_alloc&) {
    pyro_cli::print_error("out of memory", pyro::error_code_name(pyro::ErrorCode::kResourceExhausted));
  } catch (const std::exception& e) {
    pyro_cli::print_error(e.what(), pyro::error_code_name(pyro::ErrorCode::kInternal));
  }
  pyro::set_log_handler(pyro::LogLevel::kOff, {});
  return status;
}

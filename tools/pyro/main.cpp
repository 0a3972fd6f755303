// pyro CLI entry point: global flags, verb dispatch, the stderr log handler,
// and the mapping of failures to exit codes (docs/cli.md):
//   guest exit code (`pyro run`), 0 ok, 1 doctor check failed,
//   64 usage error, 125 pyro itself failed, 128+N interrupted by signal N.
#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "args.hpp"
#include "global_options.hpp"
#include "interrupt.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "mcp/cmd_mcp.hpp"
#include "pyro/error.hpp"
#include "pyro/log.hpp"
#include "pyro/version.hpp"

namespace pyro_cli {
namespace {

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
      write_bytes(stdout, format_help(global_spec()));
      return kExitOk;
    }
    std::vector<std::string> with_help(args.begin() + 1, args.end());
    with_help.push_back("--help");
    return dispatch(global, args[0], with_help);
  }
  throw UsageError("", fmt::format("unknown verb `{}`", verb));
}

int run(Args args) {
  CommandLine line = parse_command_line(args);
  if (line.help) {
    write_bytes(stdout, format_help(global_spec()));
    return kExitOk;
  }
  if (line.version) {
    write_bytes(stdout, fmt::format("pyro {}\n", pyro::version()));
    return kExitOk;
  }
  if (line.verb >= args.size()) throw UsageError("", "missing verb");
  install_log_handler(line.global.verbosity);
  return dispatch(line.global, args[line.verb], args.subspan(line.verb + 1));
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

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

int run(Args args) {
  CommandLine line = parse_command_line(args);
  if (line.help) {
    write_bytes(stdout, format_help(global_spec()) + "\n" + verbs_help());
    return kExitOk;
  }
  if (line.version) {
    write_bytes(stdout, fmt::format("pyro {}\n", pyro::version()));
    return kExitOk;
  }
  if (line.verb >= args.size()) throw UsageError("", "missing verb");
  install_log_handler(line.global.verbosity);
  return dispatch(line.global, args.subspan(line.verb));
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

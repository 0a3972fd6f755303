#include "env/script_runner.hpp"

#include <fmt/format.h>

#include "pyro/error.hpp"
#include "util/child_process.hpp"
#include "util/logging.hpp"

namespace pyro::detail {

void run_script(const std::vector<std::string>& argv, const ProgressHandler& progress,
                const std::string& what) {
  if (argv.empty()) throw Error(ErrorCode::kInvalidArgument, fmt::format("{}: empty command line", what));
  ToolResult result;
  try {
    result = run_tool({.argv = argv,
                       .stderr_tail_bytes = 2048,
                       .on_stderr_line = [&](std::string_view line) {
                         log(LogLevel::kInfo, "{}", line);
                         if (progress) progress(line);
                       }});
  } catch (const Error& e) {
    throw Error(e.code(), fmt::format("{}: {}", what, e.what()));
  }
  if (!result.ok()) throw Error(ErrorCode::kUnavailable, fmt::format("{}: {}", what, result.failure(argv.front())));
}

}  // namespace pyro::detail

#include "env/script_runner.hpp"

#include <fmt/format.h>

#include "pyro/error.hpp"
#include "util/child_process.hpp"
#include "util/logging.hpp"
#include "util/progress.hpp"

namespace pyro::detail {
namespace {

// The builders prefix every line with their name: lowercase letters and dashes.
size_t prefix_length(std::string_view line) {
  const size_t colon = line.find(": ");
  if (colon == 0 || colon == std::string_view::npos) return 0;
  for (char c : line.substr(0, colon)) {
    if (!((c >= 'a' && c <= 'z') || c == '-')) return 0;
  }
  return colon + 2;
}

}  // namespace

std::string_view script_message(std::string_view line) { return line.substr(prefix_length(line)); }

std::optional<std::string_view> script_stage(std::string_view line) {
  constexpr std::string_view kMarker = "stage: ";
  const size_t prefix = prefix_length(line);
  if (prefix == 0 || !line.substr(prefix).starts_with(kMarker)) return std::nullopt;
  std::string_view stage = line.substr(prefix + kMarker.size());
  if (stage.empty()) return std::nullopt;
  return stage;
}

void run_script(const std::vector<std::string>& argv, const ProgressHandler& progress, const std::string& what,
                std::string_view first_stage) {
  if (argv.empty()) throw Error(ErrorCode::kInvalidArgument, fmt::format("{}: empty command line", what));
  std::string stage(first_stage);
  report_progress(progress, stage, "");
  ToolResult result;
  try {
    result = run_tool({.argv = argv,
                       .stderr_tail_bytes = 2048,
                       .on_stderr_line = [&](std::string_view line) {
                         log(LogLevel::kInfo, "{}", line);
                         if (auto next = script_stage(line)) {
                           if (*next == stage) return;
                           stage = *next;
                           report_progress(progress, stage, "");
                         } else {
                           report_progress(progress, stage, script_message(line));
                         }
                       }});
  } catch (const Error& e) {
    throw Error(e.code(), fmt::format("{}: {}", what, e.what()));
  }
  if (!result.ok()) throw Error(ErrorCode::kUnavailable, fmt::format("{}: {}", what, result.failure(argv.front())));
}

}  // namespace pyro::detail

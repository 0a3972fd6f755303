#include "env/script_runner.hpp"

#include <deque>

#include <boost/process.hpp>
#include <fmt/format.h>

#include "util/logging.hpp"
#include "pyro/error.hpp"

namespace pyro::detail {
namespace bp = boost::process;

void run_script(const std::vector<std::string>& argv, const ProgressHandler& progress,
                const std::string& what) {
  constexpr size_t kKeptLines = 12;
  std::deque<std::string> last_lines;
  int exit_code = -1;
  try {
    bp::ipstream err;
    bp::child child(bp::exe = argv.front(), bp::args = std::vector<std::string>(argv.begin() + 1, argv.end()),
                    bp::std_in < bp::null, bp::std_out > bp::null, bp::std_err > err);
    // No bp::limit_handles: in Boost 1.74 it also closes the stderr pipe. pyro's own
    // descriptors are close-on-exec, and the builders close any others at start.
    std::string line;
    while (std::getline(err, line)) {
      log(LogLevel::kInfo, "{}", line);
      if (progress) progress(line);
      last_lines.push_back(line);
      if (last_lines.size() > kKeptLines) last_lines.pop_front();
    }
    child.wait();
    exit_code = child.exit_code();
  } catch (const bp::process_error& e) {
    throw Error(ErrorCode::kUnavailable, fmt::format("{}: run `{}`: {}", what, argv.front(), e.what()));
  }
  if (exit_code != 0) {
    std::string tail;
    for (const auto& l : last_lines) tail += "\n  " + l;
    throw Error(ErrorCode::kUnavailable,
                fmt::format("{}: `{}` exited with status {}{}", what, argv.front(), exit_code, tail));
  }
}

}  // namespace pyro::detail

// The guest-tools scripts run through run_tool (lib/env/script_runner): progress per
// stderr line, and a failure that names the work, the script and its last words.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "env/script_runner.hpp"
#include "pyro/error.hpp"

namespace pyro::detail {

TEST_CASE("run_script: each stderr line is progress; a failure names the work and ends with the script's stderr") {
  std::vector<std::string> progress;
  run_script({"/bin/sh", "-c", "echo fetching >&2; echo out; echo unpacking >&2"},
             [&](std::string_view line) { progress.emplace_back(line); }, "pull environment `t`");
  CHECK(progress == std::vector<std::string>{"fetching", "unpacking"});

  try {
    run_script({"/bin/sh", "-c", "echo step >&2; echo 'no space left' >&2; exit 2"}, {}, "pull environment `t`");
    FAIL("run_script should throw");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kUnavailable);
    CHECK(std::string(e.what()) == "pull environment `t`: `/bin/sh` exited with status 2: step; no space left");
  }
  try {
    run_script({"/nonexistent/build.sh"}, {}, "pull environment `t`");
    FAIL("run_script should throw");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kUnavailable);
    CHECK(std::string(e.what()).rfind("pull environment `t`: start `/nonexistent/build.sh`: ", 0) == 0);
  }
}

}  // namespace pyro::detail

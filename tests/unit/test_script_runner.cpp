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
             [&](const Progress& p) { progress.push_back(std::string(p.stage) + "|" + std::string(p.message)); },
             "pull environment `t`", "download kernel");
  CHECK(progress == std::vector<std::string>{"download kernel|", "download kernel|fetching", "download kernel|unpacking"});

  try {
    run_script({"/bin/sh", "-c", "echo step >&2; echo 'no space left' >&2; exit 2"}, {}, "pull environment `t`", "s");
    FAIL("run_script should throw");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kUnavailable);
    CHECK(std::string(e.what()) == "pull environment `t`: `/bin/sh` exited with status 2: step; no space left");
  }
  try {
    run_script({"/nonexistent/build.sh"}, {}, "pull environment `t`", "s");
    FAIL("run_script should throw");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kUnavailable);
    CHECK(std::string(e.what()).rfind("pull environment `t`: start `/nonexistent/build.sh`: ", 0) == 0);
  }
}

TEST_CASE("run_script: a builder's `stage:` line starts a stage; its other lines lose the script's prefix") {
  std::vector<std::string> progress;
  run_script({"/bin/sh", "-c",
              "echo 'build-rootfs: waiting' >&2; echo 'build-rootfs: stage: make image' >&2; "
              "echo 'build-rootfs: hashing' >&2; echo 'build-rootfs: stage: make image' >&2; echo 'Odd: line' >&2"},
             [&](const Progress& p) {
               CHECK(p.total == 0);
               progress.push_back(std::string(p.stage) + "|" + std::string(p.message));
             },
             "pull environment `t`", "build rootfs");
  CHECK(progress == std::vector<std::string>{"build rootfs|", "build rootfs|waiting", "make image|",
                                             "make image|hashing", "make image|Odd: line"});
}

TEST_CASE("script_stage and script_message: only a lowercase script name counts as a prefix") {
  CHECK(script_stage("build-bootset: stage: build boot set") == std::optional<std::string_view>("build boot set"));
  CHECK_FALSE(script_stage("build-bootset: stage: ").has_value());
  CHECK_FALSE(script_stage("stage: x").has_value());
  CHECK_FALSE(script_stage("build-rootfs: mmdebstrap: stage: x").has_value());
  CHECK(script_message("build-rootfs: mmdebstrap: I: done") == "mmdebstrap: I: done");
  CHECK(script_message("E: no prefix") == "E: no prefix");
  CHECK(script_message(": x") == ": x");
}

}  // namespace pyro::detail

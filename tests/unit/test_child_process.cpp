// Spawning, reaping and killing child processes (lib/util/child_process).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../wait_until.hpp"
#include "pyro/error.hpp"
#include "util/child_process.hpp"
#include "util/file_tail.hpp"
#include "util/unique_fd.hpp"

namespace pyro::detail {
namespace {

using namespace std::chrono_literals;

std::string temp_path(const char* tag) {
  return "/tmp/pyro-test-child-" + std::to_string(::getpid()) + "-" + tag;
}

// Whether a SIGKILL is pending for `pid` (sent, not yet acted on).
bool kill_pending(int64_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("SigPnd:", 0) == 0 || line.rfind("ShdPnd:", 0) == 0) {
      if (std::stoull(line.substr(7), nullptr, 16) & (1ull << (SIGKILL - 1))) return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("exit status and output file") {
  const std::string log = temp_path("log");
  UniqueFd fd(::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  auto child = ChildProcess::spawn(
      {.argv = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, .output_fd = fd.get()});
  CHECK(child->pid() > 0);
  CHECK(child->wait_until(deadline_after(10s)));
  CHECK_FALSE(child->alive());
  CHECK(child->exit_description() == "exited with status 3");
  CHECK(read_file_tail(log, 100) == "out\nerr\n");
  CHECK(read_file_tail(log, 4) == "err\n");
  child->kill();  // after reaping: a no-op, never a signal to a reused pid
  CHECK(child->exit_description() == "exited with status 3");
  ::unlink(log.c_str());
}

TEST_CASE("kill reaps and reports the signal") {
  auto child = ChildProcess::spawn({.argv = {"/bin/sleep", "60"}});
  CHECK(child->alive());
  CHECK(child->exit_description().empty());
  CHECK_FALSE(child->wait_until(deadline_after(50ms)));
  child->kill();
  CHECK_FALSE(child->alive());
  CHECK(child->exit_description() == "killed by signal 9");
  CHECK(::kill(static_cast<pid_t>(child->pid()), 0) != 0);  // gone, not a zombie
}

TEST_CASE("the process group dies with its leader") {
  const std::string pidfile = temp_path("grandchild");
  ::unlink(pidfile.c_str());
  auto child = ChildProcess::spawn(
      {.argv = {"/bin/sh", "-c", "sleep 60 & echo $! > " + pidfile + "; wait"}});
  pid_t grandchild = 0;
  pyro::test::wait_until(
      [&] {
        std::string text = read_file_tail(pidfile, 32);
        if (!text.empty() && text.back() == '\n') grandchild = std::stoi(text);
        return grandchild > 0;
      },
      30s, "the shell to write the pid of its background `sleep`");
  CHECK(::getpgid(grandchild) == child->pid());
  child->kill();
  bool gone = pyro::test::poll_until(
      [&] {
        // The grandchild is reparented (to init or a subreaper), so it may linger as a zombie.
        std::string stat = read_file_tail("/proc/" + std::to_string(grandchild) + "/stat", 4096);
        return stat.empty() || stat.find(") Z") != std::string::npos;
      },
      30s);
  if (!gone) ::kill(grandchild, SIGKILL);
  CHECK(gone);
  ::unlink(pidfile.c_str());
}

TEST_CASE("children outlive the thread that asked for them") {
  // PDEATHSIG is bound to the forking thread; spawns go through a process-lifetime
  // thread, so a short-lived caller thread must not take the child down with it.
  std::unique_ptr<ChildProcess> child;
  std::atomic<pid_t> caller{0};
  std::thread([&] {
    caller = static_cast<pid_t>(::syscall(SYS_gettid));
    child = ChildProcess::spawn({.argv = {"/bin/sleep", "60"}});
  }).join();
  // A thread's task leaves /proc only after its exit notified its children (the
  // parent-death signal): then that signal, had it been sent, is pending or done.
  const std::string task = "/proc/self/task/" + std::to_string(caller.load());
  pyro::test::wait_until([&] { return !std::filesystem::exists(task); }, 30s, "the caller thread to be gone");
  CHECK(child->alive());
  CHECK_FALSE(kill_pending(child->pid()));
  child->kill();
  CHECK(child->exit_description() == "killed by signal 9");
}

TEST_CASE("a missing executable is unavailable") {
  try {
    ChildProcess::spawn({.argv = {"/nonexistent/program"}});
    FAIL("spawn should throw");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kUnavailable);
  }
  CHECK_THROWS_AS(ChildProcess::spawn({}), Error);
}

// ---- run_tool: the one way to run a host tool to completion ----------------------

TEST_CASE("run_tool: exit status, stderr lines and a bounded tail") {
  std::vector<std::string> lines;
  ToolResult r = run_tool({.argv = {"/bin/sh", "-c", "echo one >&2; echo out; printf 'two\\nthree' >&2; exit 3"},
                           .on_stderr_line = [&](std::string_view l) { lines.emplace_back(l); }});
  CHECK_FALSE(r.ok());
  CHECK_FALSE(r.timed_out);
  REQUIRE(r.exit_code.has_value());
  CHECK(*r.exit_code == 3);
  CHECK(r.exit_description == "exited with status 3");
  CHECK(r.stderr_tail == "one\ntwo\nthree");  // stdout is not captured
  CHECK(lines == std::vector<std::string>{"one", "two", "three"});
  CHECK(r.failure("sh") == "`sh` exited with status 3: one; two; three");

  ToolResult big = run_tool({.argv = {"/bin/sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo line-$i >&2; i=$((i+1)); done"},
                             .stderr_tail_bytes = 20});
  CHECK(big.ok());
  CHECK(big.stderr_tail.size() == 20);
  CHECK(big.stderr_tail.substr(big.stderr_tail.size() - 10) == "line-1999\n");
}

TEST_CASE("run_tool: environment on top of ours, and a working directory") {
  ::setenv("PYRO_TEST_INHERITED", "kept", 1);
  ToolResult r = run_tool({.argv = {"/bin/sh", "-c", "echo \"$PYRO_TEST_SET $PYRO_TEST_INHERITED $(pwd)\" >&2"},
                           .env = {"PYRO_TEST_SET=given"},
                           .cwd = "/proc"});
  ::unsetenv("PYRO_TEST_INHERITED");
  CHECK(r.ok());
  CHECK(r.stderr_tail == "given kept /proc\n");
  CHECK_THROWS_AS(run_tool({.argv = {"/bin/true"}, .env = {"NOVALUE"}}), Error);
  try {
    run_tool({.argv = {"/bin/true"}, .cwd = "/nonexistent/dir"});
    FAIL("run_tool should throw");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kUnavailable);
    CHECK(std::string(e.what()).find("`/nonexistent/dir`") != std::string::npos);
  }
}

TEST_CASE("run_tool: the deadline kills the tool") {
  ToolResult r = run_tool({.argv = {"/bin/sh", "-c", "echo waiting >&2; exec sleep 60"},
                           .deadline = deadline_after(300ms)});
  CHECK(r.timed_out);
  CHECK_FALSE(r.ok());
  CHECK_FALSE(r.exit_code.has_value());
  CHECK(r.exit_description == "killed by signal 9");
  CHECK(r.failure("sh") == "`sh` did not finish in time: waiting");
}

TEST_CASE("run_tool: a throwing line handler kills the tool and passes the exception on") {
  pid_t pid = 0;
  CHECK_THROWS_AS(run_tool({.argv = {"/bin/sh", "-c", "echo $$ >&2; exec sleep 60"},
                            .on_stderr_line =
                                [&](std::string_view l) {
                                  pid = static_cast<pid_t>(std::stoi(std::string(l)));
                                  throw std::runtime_error("handler gave up");
                                }}),
                  std::runtime_error);
  REQUIRE(pid > 0);
  CHECK(::kill(pid, 0) != 0);  // killed and reaped, not left running
}

TEST_CASE("run_tool: a background child holding stderr does not outlive the tool") {
  // The tool exits at once; its group (the sleep that still holds stderr) is killed
  // then, so the run ends without waiting for the deadline.
  ToolResult r = run_tool({.argv = {"/bin/sh", "-c", "sleep 60 & echo started >&2"},
                           .deadline = deadline_after(60s)});
  CHECK_FALSE(r.timed_out);
  CHECK(r.ok());
  CHECK(r.stderr_tail == "started\n");
  CHECK_THROWS_AS(run_tool({.argv = {"/nonexistent/tool"}}), Error);
}

}  // namespace pyro::detail

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
#include <string>
#include <thread>

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

}  // namespace pyro::detail

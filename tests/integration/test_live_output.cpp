// Live output and cancellation of guest commands (run_in_vm, exec_vm,
// exec_workspace) through the C++ API, on real VMs. The commands here never end by
// themselves: a chunk seen before the test cancels proves that output arrives
// while the command runs, and the cancel is the only way the call returns.
#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

#include "../wait_until.hpp"
#include "pyro/pyro.hpp"
#include "workspace_test_support.hpp"

namespace {

using pyro_test::client;

// Collects chunks from the calling thread; read from the test's thread.
struct Chunks {
  std::mutex mu;
  std::string out, err;
  int count = 0;
  pyro::OutputHandler handler() {
    return [this](const pyro::LiveOutput& c) {
      std::lock_guard lock(mu);
      (c.stream == pyro::OutputStream::kStderr ? err : out).append(c.data);
      ++count;
    };
  }
  bool has(const std::string& needle, const std::string& err_needle = "") {
    std::lock_guard lock(mu);
    return out.find(needle) != std::string::npos && err.find(err_needle) != std::string::npos;
  }
};

// A command that prints `first` and then waits forever (10 minutes, its timeout is longer).
const std::string kBlocked = "echo first; echo to-stderr >&2; sleep 600; echo never";

}  // namespace

TEST_CASE("run_in_vm streams output while the command runs, and a cancel from another thread stops it") {
  Chunks chunks;
  pyro::ExecOptions exec{.timeout_seconds = 1200};
  exec.on_output = chunks.handler();
  pyro::CancelToken cancel = exec.cancel;
  pyro::ExecResult result;
  std::string failure;
  std::thread runner([&] {
    try {
      result = client().run_in_vm("busybox", kBlocked, {}, exec);
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  // Both lines are out before the command blocks.
  const bool seen =
      pyro::test::poll_until([&] { return chunks.has("first\n", "to-stderr\n"); }, std::chrono::seconds(180));
  cancel.cancel();  // also when not seen, so the runner returns
  runner.join();
  REQUIRE_MESSAGE(failure.empty(), failure);
  REQUIRE_MESSAGE(seen, "no chunk arrived while the command ran");
  CHECK(result.cancelled);
  CHECK_FALSE(result.timed_out);
  CHECK(result.exit_code == 137);
  CHECK(result.signal == 9);
  CHECK(result.stdout_data == "first\n");
  CHECK(result.stderr_data == "to-stderr\n");
  std::lock_guard lock(chunks.mu);
  CHECK(chunks.out == result.stdout_data);
  CHECK(chunks.err == result.stderr_data);
  CHECK(client().list_vms().empty());
}

TEST_CASE("a command that ends by itself is not cancelled, and its chunks make up its output") {
  Chunks chunks;
  pyro::ExecOptions exec;
  exec.on_output = chunks.handler();
  // 300 KB in 64 KiB frames: several chunks.
  auto r = client().run_in_vm("busybox", "head -c 300000 /dev/zero | tr '\\0' x; echo e >&2", {}, exec);
  CHECK(r.exit_code == 0);
  CHECK_FALSE(r.cancelled);
  CHECK(r.stdout_data.size() == 300000);
  CHECK(chunks.out == r.stdout_data);
  CHECK(chunks.err == "e\n");
  CHECK(chunks.count >= 2);
}

TEST_CASE("an output handler that throws cancels the command, and its exception comes out") {
  pyro::ExecOptions exec{.timeout_seconds = 1200};
  struct Stop {};
  exec.on_output = [](const pyro::LiveOutput&) { throw Stop{}; };
  bool thrown = false;
  try {
    client().run_in_vm("busybox", kBlocked, {}, exec);
  } catch (const Stop&) {
    thrown = true;
  }
  CHECK(thrown);
  CHECK(client().list_vms().empty());
}

TEST_CASE("exec_workspace: live chunks are redacted, a cancel kills the process group, the workspace stays usable") {
  const std::string secret = "pyro-live-secret-5e1c0d";
  pyro_test::WorkspaceGuard guard;
  auto ws = client().create_workspace("busybox", {.secrets = {{.name = "tok", .value = secret}}});
  guard.id = ws.workspace_id;

  // The secret is printed in two pieces with a pause between them (so in two chunks,
  // most likely), then the command blocks with a background child in its group.
  Chunks chunks;
  pyro::ExecOptions exec{.timeout_seconds = 1200, .secret_env = {{"TOK", "tok"}}};
  exec.on_output = chunks.handler();
  pyro::CancelToken cancel = exec.cancel;
  const std::string command =
      "half=$((${#TOK} / 2)); printf 'a %s' \"$(echo \"$TOK\" | cut -c1-$half)\"; sleep 1; "
      "printf '%s b\\n' \"$(echo \"$TOK\" | cut -c$((half + 1))-)\"; "
      "sleep 900 & echo $! > /workspace/bg.pid; echo blocked; sleep 600";
  pyro::ExecResult result;
  std::string failure;
  std::thread runner([&] {
    try {
      result = client().exec_workspace(ws.workspace_id, command, exec);
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  const bool seen = pyro::test::poll_until([&] { return chunks.has("blocked\n"); }, std::chrono::seconds(180));
  cancel.cancel();
  runner.join();
  REQUIRE_MESSAGE(failure.empty(), failure);
  REQUIRE_MESSAGE(seen, "no chunk arrived while the command ran");
  CHECK(result.cancelled);
  CHECK(result.exit_code == 137);
  CHECK(result.stdout_data == "a [REDACTED] b\nblocked\n");
  {
    std::lock_guard lock(chunks.mu);
    CHECK(chunks.out == result.stdout_data);
    CHECK(chunks.out.find(secret.substr(0, 8)) == std::string::npos);
  }
  // The background child of the cancelled group is gone, and the workspace runs commands.
  // (Polled in the guest for up to 30 s: SIGKILL takes effect when the child next runs;
  // a zombie waiting for the agent to reap it counts as gone.)
  auto check = client().exec_workspace(
      ws.workspace_id,
      "pid=$(cat /workspace/bg.pid); i=0; "
      "gone() { s=$(cut -d' ' -f3 /proc/$pid/stat 2>/dev/null); [ -z \"$s\" ] || [ \"$s\" = Z ]; }; "
      "until gone || [ $i -ge 300 ]; do sleep 0.1; i=$((i+1)); done; if gone; then echo gone; else echo alive; fi");
  CHECK(check.exit_code == 0);
  CHECK(check.stdout_data == "gone\n");
  CHECK_FALSE(check.cancelled);
}

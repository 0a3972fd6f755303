// The guest's console on the host stays bounded however much the guest writes
// (lib/backend/qemu/console_keeper.hpp), in a workspace and in run_in_vm, and a
// crash reason still ends with what the console said last.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "../wait_until.hpp"
#include "pyro/pyro.hpp"
#include "workspace_test_support.hpp"

using pyro_test::client;
using pyro_test::WorkspaceGuard;
namespace fs = std::filesystem;

namespace {

// 128 times the 64 KiB a console file may hold (two of them at most).
constexpr uint64_t kFloodBytes = 8ull << 20;
constexpr uint64_t kBound = 2 * (64 << 10);

// Samples, until stopped, the total size of the console files under `root`.
class ConsoleWatcher {
 public:
  explicit ConsoleWatcher(fs::path root) : root_(std::move(root)), thread_([this] { run(); }) {}
  ~ConsoleWatcher() { stop(); }
  uint64_t stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return max_;
  }
  uint64_t samples() const { return samples_; }

 private:
  void run() {
    while (!stop_) {
      uint64_t total = 0;
      std::error_code ec;
      for (auto it = fs::recursive_directory_iterator(root_, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.rfind("console", 0) == 0 && it->is_regular_file(ec)) total += it->file_size(ec);
      }
      max_ = std::max(max_.load(), total);
      ++samples_;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // hygiene: a sampler's period, not a wait
    }
  }

  fs::path root_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> max_{0};
  std::atomic<uint64_t> samples_{0};
  std::thread thread_;
};

std::string flood_command() {
  return "head -c " + std::to_string(kFloodBytes) + " /dev/zero | tr '\\0' x > /dev/console; echo flooded";
}

}  // namespace

TEST_CASE("a workspace guest flooding its console leaves a bounded file; the crash reason still has its last words") {
  auto ws = client().create_workspace("busybox");
  WorkspaceGuard guard{ws.workspace_id};
  ConsoleWatcher watcher(ws.path);
  auto r = client().exec_workspace(ws.workspace_id, flood_command(), {.timeout_seconds = 600});
  CHECK(r.stdout_data == "flooded\n");
  // The last of the flood has reached the host side: a marker after it shows up in the crash reason.
  CHECK(pyro_test::code_of([&] {
          client().exec_workspace(ws.workspace_id,
                                  "echo \"after-the-flood-$((6*7))\" > /dev/console; echo b > /proc/sysrq-trigger; sleep 30",
                                  {.timeout_seconds = 60});
        }) == pyro::ErrorCode::kVmCrashed);
  const uint64_t max = watcher.stop();
  CHECK(watcher.samples() > 10);
  CHECK(max > 0);
  CHECK(max <= kBound);
  // The agent's connection may close a moment before the VMM process is gone.
  pyro::WorkspaceInfo status;
  pyro::test::wait_until(
      [&] { return (status = client().status_workspace(ws.workspace_id)).state == pyro::WorkspaceState::kCrashed; },
      std::chrono::seconds(60), "the workspace to be reported crashed", std::chrono::milliseconds(50));
  CHECK(status.crash_reason.find("after-the-flood-42") != std::string::npos);
  CHECK(status.crash_reason.find("sysrq: Resetting") != std::string::npos);  // the kernel's last line
}

TEST_CASE("a run_in_vm guest flooding its console leaves a bounded file") {
  ConsoleWatcher watcher(fs::path(client().home()) / "run");
  auto r = client().run_in_vm("busybox", flood_command(), {}, {.timeout_seconds = 600});
  const uint64_t max = watcher.stop();
  CHECK(r.stdout_data == "flooded\n");
  CHECK(max > 0);
  CHECK(max <= kBound);
}

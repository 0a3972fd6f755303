// The console keeper (lib/backend/qemu/console_keeper): this test plays QEMU,
// writing into the FIFO as a guest flooding its console would.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "../wait_until.hpp"
#include "backend/qemu/console_keeper.hpp"
#include "test_support.hpp"

namespace pyro::detail {
namespace {

namespace fs = std::filesystem;

bool process_exists(int64_t pid) { return ::kill(static_cast<pid_t>(pid), 0) == 0; }

// Polls until `done` holds or 30 s passed.
template <class F>
bool eventually(F done) {
  return pyro::test::poll_until(done, std::chrono::seconds(30));
}

}  // namespace

TEST_CASE("console keeper: a flood stays bounded on disk, its end is kept, the keeper ends with the writer") {
  test::TestDir dir("pyro-test-console");
  ConsoleKeeper keeper = ConsoleKeeper::start(dir.str());
  const int64_t pid = keeper.pid();
  REQUIRE(pid > 0);
  // QEMU opens the FIFO read-write (`-chardev pipe`) and writes.
  const int fd = ::open((console_chardev_path(dir.str()) + ".out").c_str(), O_RDWR | O_CLOEXEC);
  REQUIRE(fd >= 0);
  keeper.release();
  std::string line;
  for (int i = 0; i < 64; ++i) line += static_cast<char>('a' + i % 26);
  line += '\n';
  const size_t total = 16u << 20;  // 16 MiB, 256 times the bound
  uint64_t max_seen = 0;
  for (size_t written = 0; written < total; written += line.size()) {
    REQUIRE(::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
    if (written % (1 << 20) == 0) {
      std::error_code ec;
      max_seen = std::max<uint64_t>(max_seen, fs::file_size(dir / "console.log", ec));
    }
  }
  const std::string last = "the last words of the guest\n";
  REQUIRE(::write(fd, last.data(), last.size()) == static_cast<ssize_t>(last.size()));
  ::close(fd);  // QEMU exits
  REQUIRE(eventually([&] { return fs::exists(dir / "console.done"); }));
  CHECK(eventually([&] { return !process_exists(pid); }));
  CHECK(max_seen <= kConsoleFileBytes);
  CHECK(fs::file_size(dir / "console.log") <= kConsoleFileBytes);
  CHECK(fs::file_size(dir / "console.log.old") <= kConsoleFileBytes);
  CHECK((fs::status(dir / "console.log").permissions() & fs::perms::group_all) == fs::perms::none);
  const std::string tail = read_console_tail(dir.str(), 4096, /*vmm_dead=*/true);
  CHECK(tail.size() == 4096);
  CHECK(tail.substr(tail.size() - last.size()) == last);
  CHECK(tail.substr(tail.size() - last.size() - line.size(), line.size()) == line);
}

TEST_CASE("console keeper: killed when QEMU never starts") {
  test::TestDir dir("pyro-test-console");
  int64_t pid = 0;
  {
    ConsoleKeeper keeper = ConsoleKeeper::start(dir.str());
    pid = keeper.pid();
    CHECK(process_exists(pid));
  }
  CHECK(eventually([&] { return !process_exists(pid); }));
  CHECK(read_console_tail(dir.str(), 100, /*vmm_dead=*/false).empty());
}

}  // namespace pyro::detail

// The guest agent's OutputRing (service logs, shell output): offsets, wrap-around,
// lookbehind, max_bytes, tail lines and waiting reads. The agent is not a library,
// so its one source file is compiled in here.
#include <doctest/doctest.h>

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "../wait_until.hpp"

#include "../../guest/agent/output_ring.cpp"

namespace {

using pyro::agent::OutputRing;
using pyro::agent::RingReadParams;
using Clock = std::chrono::steady_clock;

void append(OutputRing& ring, const std::string& s) { ring.append(s.data(), s.size()); }

RingReadParams at(uint64_t cursor, uint64_t max_bytes = 65536, uint64_t lookbehind = 0) {
  RingReadParams p;
  p.cursor = cursor;
  p.max_bytes = max_bytes;
  p.lookbehind = lookbehind;
  return p;
}

}  // namespace

TEST_CASE("ring: reads by absolute offset") {
  OutputRing ring(16);
  append(ring, "hello ");
  append(ring, "world");
  auto r = ring.read(at(0));
  CHECK(r.data == "hello world");
  CHECK(r.offset == 0);
  CHECK(r.start == 0);
  CHECK(r.end == 11);
  CHECK(r.missed == 0);
  CHECK_FALSE(r.more);
  CHECK_FALSE(r.finished);

  auto mid = ring.read(at(6, 3));
  CHECK(mid.data == "wor");
  CHECK(mid.offset == 6);
  CHECK(mid.more);

  auto past = ring.read(at(50));
  CHECK(past.data.empty());
  CHECK(past.offset == 11);
}

TEST_CASE("ring: wrap-around drops the oldest bytes and counts them as missed") {
  OutputRing ring(8);
  append(ring, "abcdef");
  append(ring, "ghijkl");  // 12 bytes into 8: a-d dropped
  auto r = ring.read(at(0));
  CHECK(r.start == 4);
  CHECK(r.end == 12);
  CHECK(r.offset == 4);
  CHECK(r.missed == 4);
  CHECK(r.data == "efghijkl");

  append(ring, std::string(20, 'z') + "TAIL");  // more than the capacity in one go
  auto big = ring.read(at(12));
  CHECK(big.start == 28);
  CHECK(big.end == 36);
  CHECK(big.missed == 16);
  CHECK(big.data == "zzzzTAIL");
}

TEST_CASE("ring: lookbehind returns bytes before the cursor, never before start") {
  OutputRing ring(8);
  append(ring, "0123456789");  // keeps 2..9
  auto r = ring.read(at(6, 2, 3));
  CHECK(r.offset == 3);
  CHECK(r.data == "34567");
  CHECK(r.missed == 0);
  CHECK(r.more);
  auto clipped = ring.read(at(4, 65536, 10));
  CHECK(clipped.offset == 2);
  CHECK(clipped.data == "23456789");
}

TEST_CASE("ring: tail lines") {
  OutputRing ring(64);
  append(ring, "one\ntwo\nthree\n");
  CHECK(ring.read(at(ring.tail_start(1))).data == "three\n");
  CHECK(ring.read(at(ring.tail_start(2))).data == "two\nthree\n");
  CHECK(ring.read(at(ring.tail_start(10))).data == "one\ntwo\nthree\n");
  CHECK(ring.tail_start(0) == 14);
  append(ring, "partial");
  CHECK(ring.read(at(ring.tail_start(1))).data == "partial");
  CHECK(ring.read(at(ring.tail_start(2))).data == "three\npartial");
}

// A read with a long wait, run in its own thread: the test acts once that thread is
// blocked in the read (sleeping on the ring's condition variable), and sees when it returns.
class BlockedRead {
 public:
  BlockedRead(OutputRing& ring, RingReadParams p) {
    thread_ = std::thread([this, &ring, p] {
      tid_ = static_cast<pid_t>(::syscall(SYS_gettid));
      result_ = ring.read(p);
      done_ = true;
    });
    pyro::test::wait_until([&] { return done_ || (tid_ != 0 && thread_state(tid_) == 'S'); },
                           std::chrono::seconds(30), "the reader thread to block in read");
  }
  ~BlockedRead() {
    if (thread_.joinable()) thread_.join();
  }
  bool returned() const { return done_; }
  // Whether the read returns within `timeout` (a deadline far below the read's own wait).
  bool returns_within(std::chrono::milliseconds timeout) {
    bool ended = pyro::test::poll_until([&] { return done_.load(); }, timeout);
    thread_.join();
    return ended;
  }
  const pyro::agent::RingReadResult& result() const { return result_; }

 private:
  // The state letter of one thread of this process ('S' while it sleeps).
  static char thread_state(pid_t tid) {
    std::ifstream f("/proc/self/task/" + std::to_string(tid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto close = stat.rfind(')');
    return close == std::string::npos || close + 2 >= stat.size() ? '?' : stat[close + 2];
  }

  std::thread thread_;
  std::atomic<pid_t> tid_{0};
  std::atomic<bool> done_{false};
  pyro::agent::RingReadResult result_;
};

TEST_CASE("ring: a waiting read wakes on output, then settles; finished once sealed and closed") {
  OutputRing ring(1024);
  ring.open_writer();
  ring.seal();
  RingReadParams p = at(0);
  p.wait_ms = 120000;  // far beyond the deadlines below: only a wake-up ends these reads in time
  {
    BlockedRead read(ring, p);
    REQUIRE_FALSE(read.returned());
    append(ring, "a");
    append(ring, "b");  // right behind, within the settle time: the same read
    CHECK(read.returns_within(std::chrono::seconds(30)));
    CHECK(read.result().data == "ab");
    CHECK_FALSE(read.result().finished);
  }

  // Nothing comes: the wait times out with no data.
  p.cursor = 2;
  p.wait_ms = 100;
  auto start = Clock::now();
  CHECK(ring.read(p).data.empty());
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count() >= 90);

  // Closing the last writer ends a wait at once.
  p.wait_ms = 120000;
  BlockedRead read(ring, p);
  REQUIRE_FALSE(read.returned());
  ring.close_writer();
  CHECK(read.returns_within(std::chrono::seconds(30)));
  CHECK(read.result().finished);
}

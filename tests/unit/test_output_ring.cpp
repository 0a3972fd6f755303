// The guest agent's OutputRing (service logs, shell output): offsets, wrap-around,
// lookbehind, max_bytes, tail lines and waiting reads. The agent is not a library,
// so its one source file is compiled in here.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

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

TEST_CASE("ring: a waiting read wakes on output, then settles; finished once sealed and closed") {
  OutputRing ring(1024);
  ring.open_writer();
  ring.seal();
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    append(ring, "a");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    append(ring, "b");  // within the settle time: same read
  });
  RingReadParams p = at(0);
  p.wait_ms = 3000;
  auto start = Clock::now();
  auto r = ring.read(p);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  writer.join();
  CHECK(r.data == "ab");
  CHECK(ms >= 140);
  CHECK(ms < 1500);
  CHECK_FALSE(r.finished);

  // Nothing comes: the wait times out with no data.
  p.cursor = 2;
  p.wait_ms = 100;
  start = Clock::now();
  CHECK(ring.read(p).data.empty());
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count() >= 90);

  // Closing the last writer ends a wait at once.
  std::thread closer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ring.close_writer();
  });
  p.wait_ms = 5000;
  start = Clock::now();
  auto done = ring.read(p);
  closer.join();
  CHECK(done.finished);
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count() < 2000);
}

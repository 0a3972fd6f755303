// The bounded output log of a service or shell: absolute byte offsets, a cursor read
// that can wait for new output, and the "lines from the end" lookup of service_logs
// (docs/agent-protocol.md, "Output rings").
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace pyro::agent {

/// Params of a ring read, already validated.
struct RingReadParams {
  uint64_t cursor = 0;
  uint64_t lookbehind = 0;
  uint64_t max_bytes = 65536;
  int64_t wait_ms = 0;
};

struct RingReadResult {
  std::string data;
  uint64_t offset = 0;
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t missed = 0;
  bool more = false;
  bool finished = false;
};

/// Thread-safe. Writers register with open_writer()/close_writer(); the ring is
/// finished once it is sealed (no writer will be added) and every writer closed.
class OutputRing {
 public:
  static constexpr uint64_t kDefaultCapacity = uint64_t{1} << 20;
  static constexpr int kSettleMs = 50;

  explicit OutputRing(uint64_t capacity = kDefaultCapacity) : buf_(capacity) {}

  void append(const char* data, size_t n);
  void open_writer();
  void close_writer();
  /// No writer will be opened any more (the process will not restart).
  void seal();

  /// Reads per `p`; with wait_ms > 0 blocks while nothing is kept at or past the
  /// cursor, then settles for kSettleMs without new bytes.
  RingReadResult read(const RingReadParams& p);

  /// Offset where the last `lines` lines kept begin (a final unterminated line counts).
  uint64_t tail_start(uint64_t lines);

  bool finished();

 private:
  bool finished_locked() const { return sealed_ && writers_ == 0; }
  RingReadResult read_locked(const RingReadParams& p) const;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<char> buf_;  // byte at offset o lives at buf_[o % size]
  uint64_t start_ = 0;
  uint64_t end_ = 0;
  int writers_ = 0;
  bool sealed_ = false;
};

}  // namespace pyro::agent

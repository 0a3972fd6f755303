// OutputRing: a circular buffer indexed by absolute offsets.
#include "output_ring.hpp"

#include <algorithm>
#include <chrono>

namespace pyro::agent {

void OutputRing::append(const char* data, size_t n) {
  if (n == 0) return;
  const uint64_t cap = buf_.size();
  std::lock_guard lock(mu_);
  // Only the last `cap` bytes of a huge write can be kept.
  if (n > cap) {
    end_ += n - cap;
    data += n - cap;
    n = cap;
  }
  size_t done = 0;
  while (done < n) {
    size_t pos = static_cast<size_t>(end_ % cap);
    size_t chunk = std::min<size_t>(n - done, cap - pos);
    std::copy(data + done, data + done + chunk, buf_.begin() + static_cast<std::ptrdiff_t>(pos));
    done += chunk;
    end_ += chunk;
  }
  start_ = std::max(start_, end_ > cap ? end_ - cap : 0);
  cv_.notify_all();
}

void OutputRing::open_writer() {
  std::lock_guard lock(mu_);
  ++writers_;
}

void OutputRing::close_writer() {
  std::lock_guard lock(mu_);
  if (writers_ > 0) --writers_;
  cv_.notify_all();
}

void OutputRing::seal() {
  std::lock_guard lock(mu_);
  sealed_ = true;
  cv_.notify_all();
}

bool OutputRing::finished() {
  std::lock_guard lock(mu_);
  return finished_locked();
}

RingReadResult OutputRing::read(const RingReadParams& p) {
  using Clock = std::chrono::steady_clock;
  std::unique_lock lock(mu_);
  if (p.wait_ms > 0 && end_ <= p.cursor && !finished_locked()) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(p.wait_ms);
    bool arrived = cv_.wait_until(lock, deadline, [&] { return end_ > p.cursor || finished_locked(); });
    // Output tends to come in bursts: collect the rest of this one too.
    while (arrived && !finished_locked() && end_ - p.cursor < p.max_bytes) {
      uint64_t seen = end_;
      cv_.wait_for(lock, std::chrono::milliseconds(kSettleMs),
                   [&] { return end_ != seen || finished_locked(); });
      if (end_ == seen) break;
    }
  }
  return read_locked(p);
}

RingReadResult OutputRing::read_locked(const RingReadParams& p) const {
  RingReadResult r;
  r.start = start_;
  r.end = end_;
  r.finished = finished_locked();
  // A cursor past the end reads nothing at the end.
  uint64_t cursor = std::min(p.cursor, end_);
  uint64_t from = std::max(cursor, start_);
  r.missed = from - cursor;
  uint64_t behind = std::min(p.lookbehind, from - start_);
  r.offset = from - behind;
  uint64_t to = from + std::min(p.max_bytes, end_ - from);
  r.more = to < end_;
  const uint64_t cap = buf_.size();
  r.data.reserve(static_cast<size_t>(to - r.offset));
  for (uint64_t o = r.offset; o < to;) {
    size_t pos = static_cast<size_t>(o % cap);
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(to - o, cap - pos));
    r.data.append(buf_.data() + pos, chunk);
    o += chunk;
  }
  return r;
}

uint64_t OutputRing::tail_start(uint64_t lines) {
  std::lock_guard lock(mu_);
  if (lines == 0) return end_;
  const uint64_t cap = buf_.size();
  uint64_t o = end_;
  // A final newline ends the last line; it does not start another.
  if (o > start_ && buf_[static_cast<size_t>((o - 1) % cap)] == '\n') --o;
  uint64_t found = 0;
  while (o > start_) {
    if (buf_[static_cast<size_t>((o - 1) % cap)] == '\n' && ++found == lines) return o;
    --o;
  }
  return start_;
}

}  // namespace pyro::agent

// Deadlines as steady-clock time points, and the poll(2) timeout left until one.
#pragma once

#include <algorithm>
#include <chrono>

namespace pyro::detail {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

inline Deadline deadline_after(std::chrono::milliseconds timeout) { return Clock::now() + timeout; }

/// Milliseconds left until `deadline` for poll(2): 0 once passed, rounded up so
/// that a poll never returns just before the deadline and spins.
inline int poll_timeout_ms(Deadline deadline) {
  auto left = deadline - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::min<decltype(ms)>(ms, 1 << 30));
}

}  // namespace pyro::detail

// The one way C++ tests wait: poll a condition until a deadline (shared by unit and
// integration tests). Tests never sleep to let something happen; they wait for the
// thing itself. Deadlines are generous (a loaded 2-core machine running TCG guests is
// slow): they only bound a hang, they are no oracle.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <utility>

namespace pyro::test {

/// Calls `condition` until it returns true; false once `timeout` has passed without.
template <class Condition>
bool poll_until(Condition&& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = std::chrono::milliseconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);  // hygiene: the polling interval of the shared wait helper
  }
  return true;
}

/// Like poll_until, but fails the test (from the test's thread only) naming `what`.
template <class Condition>
void wait_until(Condition&& condition, std::chrono::milliseconds timeout, const std::string& what,
                std::chrono::milliseconds interval = std::chrono::milliseconds(10)) {
  if (!poll_until(std::forward<Condition>(condition), timeout, interval)) {
    FAIL("timed out after " << timeout.count() << " ms waiting for " << what);
  }
}

}  // namespace pyro::test

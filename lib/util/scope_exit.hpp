// Runs a cleanup when a scope is left by any path (return, any exception) unless
// release()d first: the undo of a multi-step operation that did not complete.
//
//   ScopeExit undo([&]() noexcept { remove_what_was_added(); });
//   ...                // every throw from here on undoes
//   undo.release();    // done: keep it
#pragma once

#include <utility>

namespace pyro::detail {

template <typename F>
class ScopeExit {
 public:
  explicit ScopeExit(F cleanup) : cleanup_(std::move(cleanup)) {}
  ~ScopeExit() {
    if (active_) cleanup_();
  }
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;

  void release() noexcept { active_ = false; }

 private:
  F cleanup_;
  bool active_ = true;
};

}  // namespace pyro::detail

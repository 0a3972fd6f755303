// Adapts a C progress callback (pyro/c/progress.h) to a pyro::ProgressHandler.
// The callback is called with exceptions blocked: anything thrown through it (a
// C++ callback behind a C pointer) is caught here, later events are skipped, and
// the shim reports PYRO_E_USER once the operation has finished (user_failure).
#pragma once

#include <string>

#include "capi_internal.hpp"

namespace pyro::capi {

class ProgressAdapter {
 public:
  ProgressAdapter(pyro_progress_cb cb, void* payload) : cb_(cb), payload_(payload) {}
  /// A version 1 options struct: its field holds a line callback (the message).
  static ProgressAdapter from_line_callback(pyro_progress_line_cb cb, void* payload) {
    ProgressAdapter adapter(nullptr, payload);
    adapter.line_cb_ = cb;
    return adapter;
  }

  /// Empty when there is no callback; valid while the adapter lives.
  pyro::ProgressHandler handler() {
    if (cb_ == nullptr && line_cb_ == nullptr) return {};
    return [this](const pyro::Progress& p) {
      if (failed_) return;
      // NUL-terminated copies for C.
      const std::string stage(p.stage), message(p.message), unit(p.unit);
      const pyro_progress event{sizeof(pyro_progress), stage.c_str(), message.c_str(), p.done, p.total, unit.c_str()};
      try {
        if (cb_ != nullptr) {
          cb_(&event, payload_);
        } else if (!message.empty()) {
          line_cb_(message.c_str(), payload_);
        }
      } catch (...) {
        failed_ = true;
      }
    };
  }

  bool failed() const { return failed_; }

 private:
  pyro_progress_cb cb_;
  pyro_progress_line_cb line_cb_ = nullptr;
  void* payload_;
  bool failed_ = false;
};

/// The error of an operation that succeeded while its progress callback threw.
inline pyro_status user_failure(pyro_error** err, const char* function) noexcept {
  std::string msg;
  try {
    msg = std::string("call `") + function + "`: the progress callback threw an exception";
  } catch (...) {
  }
  return set_error(err, PYRO_E_USER, msg.empty() ? "progress callback failed" : msg.c_str());
}

}  // namespace pyro::capi

// Adapts the live-output callback and cancel handle of pyro/c/output.h to the
// C++ ExecOptions::on_output and CancelToken. The callback is called with
// exceptions blocked: one thrown through it (a C++ callback behind a C pointer) is
// recorded and rethrown into the core, which cancels the command; the shim then
// reports PYRO_E_USER (finish()).
#pragma once

#include <string>

#include "capi_internal.hpp"

struct pyro_cancel {
  pyro::CancelToken token;
};

namespace pyro::capi {

class OutputAdapter {
 public:
  OutputAdapter(pyro_output_cb cb, void* payload, pyro_cancel* cancel) : cb_(cb), payload_(payload), cancel_(cancel) {}

  /// Sets `on_output` and `cancel` of `exec`; the adapter must outlive the call.
  void apply(pyro::OutputHandler& on_output, pyro::CancelToken& cancel) {
    if (cancel_ != nullptr) cancel = cancel_->token;
    if (cb_ == nullptr) return;
    on_output = [this](const pyro::LiveOutput& chunk) {
      try {
        cb_(chunk.stream == pyro::OutputStream::kStderr ? PYRO_OUTPUT_STDERR : PYRO_OUTPUT_STDOUT, chunk.data.data(),
            chunk.data.size(), payload_);
      } catch (...) {
        failed_ = true;
        throw;
      }
    };
  }

  /// `status` of the call, or PYRO_E_USER when the callback threw.
  pyro_status finish(pyro_status status, pyro_error** err, const char* function) const noexcept {
    if (!failed_) return status;
    pyro_error_free(err ? *err : nullptr);
    if (err) *err = nullptr;
    std::string msg;
    try {
      msg = std::string("call `") + function + "`: the output callback threw an exception; the command was cancelled";
    } catch (...) {
    }
    return set_error(err, PYRO_E_USER, msg.empty() ? "output callback failed" : msg.c_str());
  }

 private:
  pyro_output_cb cb_;
  void* payload_;
  pyro_cancel* cancel_;
  bool failed_ = false;
};

/// The adapter of exec options (NULL, or a version 1 struct: none).
inline OutputAdapter output_adapter(const pyro_exec_options* exec) {
  if (exec == nullptr || exec->version < 2) return OutputAdapter(nullptr, nullptr, nullptr);
  return OutputAdapter(exec->on_output, exec->output_payload, exec->cancel);
}

}  // namespace pyro::capi

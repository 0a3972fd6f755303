// py_output.hpp — the `on_output=` and `cancel=` parameters of run_in_vm, exec_vm
// and exec_workspace: a Python callable receiving (stream, data) chunks from the
// C++ OutputHandler, and pyro.CancelToken.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include <pybind11/pybind11.h>

#include "pyro/error.hpp"
#include "pyro/types.hpp"

namespace pyro::python {

/// What the handler throws into the core when the callable raised: the core then
/// cancels the command and rethrows it; the binding raises the Python exception.
struct CallbackRaised {};

/// Adapts an optional Python callable to an OutputHandler. The operation runs
/// without the GIL; each chunk takes it to call `fn(stream: str, data: bytes)`
/// ("stdout" or "stderr"). Pending signals are checked there too, so Ctrl-C
/// (KeyboardInterrupt) in the callback's thread cancels the command. When the
/// callable raises, the command is cancelled and the exception raised once the
/// operation has returned (run() does it). Lives inside the bound lambda.
class PyOutput {
 public:
  PyOutput(pybind11::object fn, const pybind11::object& cancel) : fn_(std::move(fn)) {
    if (!fn_.is_none() && !PyCallable_Check(fn_.ptr())) {
      throw Error(ErrorCode::kInvalidArgument, "check `on_output`: expected a callable or None");
    }
    if (!cancel.is_none()) {
      if (!pybind11::isinstance<CancelToken>(cancel)) {
        throw Error(ErrorCode::kInvalidArgument, "check `cancel`: expected a pyro.CancelToken or None");
      }
      token_ = cancel.cast<CancelToken>();
    }
  }

  /// Sets the on_output and cancel hooks of an ExecOptions or CallOptions.
  void apply(OutputHandler& on_output, CancelToken& cancel) {
    if (token_) cancel = *token_;
    if (fn_.is_none()) return;
    on_output = [this](const LiveOutput& chunk) {
      pybind11::gil_scoped_acquire gil;
      try {
        if (PyErr_CheckSignals() != 0) throw pybind11::error_already_set();
        fn_(chunk.stream == OutputStream::kStderr ? "stderr" : "stdout",
            pybind11::bytes(chunk.data.data(), chunk.data.size()));
      } catch (pybind11::error_already_set& e) {
        error_ = std::move(e);
        throw CallbackRaised{};
      }
    };
  }

  /// Runs `call` (with the GIL released by the caller's scope inside it) and
  /// raises the callable's exception in place of CallbackRaised.
  template <class F>
  auto run(F&& call) {
    try {
      return call();
    } catch (const CallbackRaised&) {
      rethrow();
      throw;
    }
  }

 private:
  void rethrow() {
    if (!error_) return;
    pybind11::error_already_set e = std::move(*error_);
    error_.reset();
    throw e;
  }

  pybind11::object fn_;
  std::optional<CancelToken> token_;
  std::optional<pybind11::error_already_set> error_;
};

/// pyro.CancelToken.
void register_output(pybind11::module_& m);

}  // namespace pyro::python

// py_progress.hpp — the `progress=` parameter: a Python callable receiving
// pyro.Progress objects from the C++ ProgressHandler.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <pybind11/pybind11.h>

#include "pyro/error.hpp"
#include "pyro/types.hpp"

namespace pyro::python {

/// pyro.Progress: a pyro::Progress that owns its strings (the views die with the call).
struct ProgressEvent {
  std::string stage;
  std::string message;
  uint64_t done = 0;
  uint64_t total = 0;
  std::string unit;
};

/// Adapts an optional Python callable to a ProgressHandler. The operation runs
/// without the GIL; each event takes it to call `fn(progress: pyro.Progress)`. The
/// first exception the callable raises is kept, later events are not delivered,
/// and the exception is raised once the operation has returned (a failed
/// operation raises its own pyro.Error instead). Lives inside the bound lambda,
/// so it is destroyed with the GIL held.
class PyProgress {
 public:
  explicit PyProgress(pybind11::object fn) : fn_(std::move(fn)) {
    if (!fn_.is_none() && !PyCallable_Check(fn_.ptr())) {
      throw Error(ErrorCode::kInvalidArgument, "check `progress`: expected a callable or None");
    }
  }

  ProgressHandler handler() {
    if (fn_.is_none()) return {};
    return [this](const Progress& p) {
      pybind11::gil_scoped_acquire gil;
      if (error_) return;
      try {
        fn_(pybind11::cast(ProgressEvent{std::string(p.stage), std::string(p.message), p.done, p.total,
                                         std::string(p.unit)}));
      } catch (pybind11::error_already_set& e) {
        error_ = std::move(e);
      }
    };
  }

  /// Raises the callable's exception, if it raised one. Call with the GIL held.
  void rethrow() {
    if (!error_) return;
    pybind11::error_already_set e = std::move(*error_);
    error_.reset();
    throw e;
  }

 private:
  pybind11::object fn_;
  std::optional<pybind11::error_already_set> error_;
};

/// pyro.Progress.
void register_progress(pybind11::module_& m);

}  // namespace pyro::python

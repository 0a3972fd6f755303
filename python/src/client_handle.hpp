// client_handle.hpp — the C++ object behind a pyro.Pyro instance and the argument
// converters its methods share (bind_client.cpp, bind_workspace_ops.cpp).
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include <pybind11/pybind11.h>

#include "pyro/client.hpp"
#include "pyro/error.hpp"

namespace pyro::python {

using Env = std::optional<std::map<std::string, std::string>>;

// The Python object owns the client through a shared_ptr: a call in flight
// keeps it alive even if another thread calls close() meanwhile.
class Client {
 public:
  explicit Client(ClientOptions options) : impl_(std::make_shared<Pyro>(std::move(options))) {}

  std::shared_ptr<Pyro> get() const {
    std::lock_guard lock(mu_);
    if (!impl_) throw Error(ErrorCode::kFailedPrecondition, "use client: the client is closed");
    return impl_;
  }

  /// Drops the client; ~Pyro (stopping every VM it owns) runs without the GIL.
  void close() {
    std::shared_ptr<Pyro> old;
    {
      std::lock_guard lock(mu_);
      old.swap(impl_);
    }
    pybind11::gil_scoped_release release;
    old.reset();
  }

  bool closed() const {
    std::lock_guard lock(mu_);
    return !impl_;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<Pyro> impl_;
};

/// str or os.PathLike (pathlib) -> std::string; None -> "".
inline std::string path_arg(const pybind11::object& value) {
  if (value.is_none()) return {};
  return pybind11::str(pybind11::module_::import("os").attr("fspath")(value)).cast<std::string>();
}

/// Python ints are unbounded: range-check instead of letting pybind11 raise TypeError,
/// so out-of-range values are InvalidArgumentError like every other bad value.
template <class T>
T int_arg(long long value, const char* name) {
  if (value < 0 || static_cast<unsigned long long>(value) > std::numeric_limits<T>::max()) {
    throw Error(ErrorCode::kInvalidArgument,
                std::string("check `") + name + "`: " + std::to_string(value) + " is out of range");
  }
  return static_cast<T>(value);
}

inline ExecOptions exec_options(double timeout_seconds, Env env, const pybind11::object& cwd,
                                long long max_output_bytes) {
  ExecOptions o;
  o.timeout_seconds = timeout_seconds;
  o.max_output_bytes = int_arg<uint64_t>(max_output_bytes, "max_output_bytes");
  if (env) o.env = std::move(*env);
  o.cwd = path_arg(cwd);
  return o;
}

/// Adds pyro.Pyro.call and the module's operation_table(), result_schemas() and
/// tool_definitions() (bind_call.cpp).
void register_call(pybind11::module_& m, pybind11::class_<Client>& cls);

/// Adds the workspace operations (spec/operations.json, since 0.3) to pyro.Pyro.
void register_workspace_ops(pybind11::class_<Client>& cls);

/// Adds the service and shell operations (spec/operations.json, since 0.3) to pyro.Pyro.
void register_workspace_services_ops(pybind11::class_<Client>& cls);

}  // namespace pyro::python

// bind_log.cpp — pyro.LogLevel and pyro.set_log_handler. The library may log from
// any thread, so the handler takes the GIL itself; its exceptions are reported
// as unraisable instead of crossing into C++.
#include <string>
#include <string_view>

#include "bind.hpp"
#include "pyro/error.hpp"
#include "pyro/log.hpp"

namespace py = pybind11;

namespace pyro::python {
namespace {

// Leaked on purpose: it must outlive interpreter teardown ordering. Guarded by the GIL.
py::object* g_handler = nullptr;

void uninstall() {
  set_log_handler(LogLevel::kOff, {});
  if (g_handler) *g_handler = py::none();
}

LogLevel level_arg(const py::object& level) {
  if (py::isinstance<py::str>(level)) {
    auto name = level.cast<std::string>();
    for (int i = 0; i <= static_cast<int>(LogLevel::kTrace); ++i) {
      if (name == log_level_name(static_cast<LogLevel>(i))) return static_cast<LogLevel>(i);
    }
    throw Error(ErrorCode::kInvalidArgument, "set log handler: unknown level `" + name + "`");
  }
  if (py::isinstance<py::int_>(level) && !py::isinstance<LogLevel>(level)) {
    auto value = level.cast<long long>();
    if (value < 0 || value > static_cast<int>(LogLevel::kTrace)) {
      throw Error(ErrorCode::kInvalidArgument,
                  "set log handler: level " + std::to_string(value) + " is out of range");
    }
    return static_cast<LogLevel>(value);
  }
  return level.cast<LogLevel>();
}

}  // namespace

void register_log(py::module_& m) {
  py::enum_<LogLevel>(m, "LogLevel", "Severity of a library log message.")
      .value("OFF", LogLevel::kOff)
      .value("ERROR", LogLevel::kError)
      .value("WARN", LogLevel::kWarn)
      .value("INFO", LogLevel::kInfo)
      .value("DEBUG", LogLevel::kDebug)
      .value("TRACE", LogLevel::kTrace);

  if (!g_handler) g_handler = new py::object(py::none());

  m.def(
      "set_log_handler",
      [](const py::object& level, const py::object& handler) {
        LogLevel lvl = level_arg(level);
        if (handler.is_none() || lvl == LogLevel::kOff) {
          uninstall();
          return;
        }
        if (!PyCallable_Check(handler.ptr())) {
          throw Error(ErrorCode::kInvalidArgument, "set log handler: `handler` is not callable");
        }
        *g_handler = handler;
        set_log_handler(lvl, [](LogLevel l, std::string_view msg) {
          if (!Py_IsInitialized()) return;
          py::gil_scoped_acquire gil;
          try {
            if (!g_handler || g_handler->is_none()) return;
            (*g_handler)(l, py::str(msg.data(), msg.size()));
          } catch (py::error_already_set& e) {
            e.discard_as_unraisable("pyro log handler");
          } catch (...) {
            // A failing log handler must never break the operation that logged.
          }
        });
      },
      py::arg("level"), py::arg("handler"),
      "Route library log messages at `level` (a LogLevel or \"error\", \"warn\", \"info\", "
      "\"debug\", \"trace\") or more severe to handler(level: LogLevel, message: str). "
      "The handler may be called from any thread. Pass None to silence the library again.");

  // Never call into a finalizing interpreter from a library thread.
  py::module_::import("atexit").attr("register")(py::cpp_function([] { uninstall(); }));
}

}  // namespace pyro::python

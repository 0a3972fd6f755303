// bind_output.cpp — pyro.CancelToken, what `cancel=` takes.
#include "py_output.hpp"

namespace py = pybind11;

namespace pyro::python {

void register_output(py::module_& m) {
  py::class_<CancelToken>(m, "CancelToken", R"doc(Cancels a running command from any thread.

Pass it as `cancel=` to run_in_vm, exec_vm or exec_workspace and call `cancel()` from
another thread (or an output callback): the command's process group is killed in the
guest and the result says `cancelled` (exit_code 137). The VM or workspace stays
usable. Once cancelled it stays cancelled: use a new token for the next command.)doc")
      .def(py::init<>())
      .def("cancel", &CancelToken::cancel, "Cancel; thread-safe, idempotent, never blocks.")
      .def_property_readonly("cancelled", &CancelToken::cancelled, "True once cancel() was called.")
      .def("__repr__", [](const CancelToken& t) {
        return std::string("CancelToken(cancelled=") + (t.cancelled() ? "True" : "False") + ")";
      });
}

}  // namespace pyro::python

// bind_progress.cpp — pyro.Progress, what a `progress=` callable receives.
#include <string>

#include "py_progress.hpp"

namespace py = pybind11;

namespace pyro::python {
namespace {

// Builder output is not always UTF-8: undecodable bytes become U+FFFD, never an exception.
py::str text(const std::string& s) {
  PyObject* o = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
  if (o == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(o);
}

}  // namespace

void register_progress(py::module_& m) {
  py::class_<ProgressEvent>(m, "Progress", R"doc(One report of progress from long work.

`stage` names what is being done ("download kernel", "build boot set", "build rootfs",
"make image", "unpack image", "copy seed", "make disk", "start workspace"); stages come
in order. `message` is a human line ("" when none). `done` counts units of the stage
(never decreasing within it) out of `total` (0: unknown); `unit` says what they are
("bytes", "layers", "entries"; "" when unused).)doc")
      .def_property_readonly("stage", [](const ProgressEvent& p) { return text(p.stage); })
      .def_property_readonly("message", [](const ProgressEvent& p) { return text(p.message); })
      .def_readonly("done", &ProgressEvent::done)
      .def_readonly("total", &ProgressEvent::total)
      .def_property_readonly("unit", [](const ProgressEvent& p) { return text(p.unit); })
      .def("__repr__", [](const ProgressEvent& p) {
        return "Progress(stage=" + std::string(py::repr(text(p.stage))) +
               ", message=" + std::string(py::repr(text(p.message))) + ", done=" + std::to_string(p.done) +
               ", total=" + std::to_string(p.total) + ", unit=" + std::string(py::repr(text(p.unit))) + ")";
      });
}

}  // namespace pyro::python

// module.cpp — entry point of `pyro._core`, the extension behind the `pyro` package.
#include <cstring>

#include <pybind11/pybind11.h>

#include "bind.hpp"
#include "py_output.hpp"
#include "py_progress.hpp"
#include "pyro/version.hpp"

namespace py = pybind11;

PYBIND11_MODULE(_core, m) {
  m.doc() = "pyro: run commands for LLM agents inside QEMU microVMs (C++ core bindings)";
  // The header we compiled against must match the library we loaded.
  if (std::strcmp(pyro::version(), PYRO_VERSION_STRING) != 0) {
    throw py::import_error(std::string("load `pyro._core`: built for libpyro ") +
                           PYRO_VERSION_STRING + " but loaded " + pyro::version());
  }
  m.attr("__version__") = pyro::version();
  pyro::python::register_errors(m);
  pyro::python::register_types(m);
  pyro::python::register_workspace_types(m);
  pyro::python::register_workspace_services_types(m);
  pyro::python::register_log(m);
  pyro::python::register_progress(m);
  pyro::python::register_output(m);
  pyro::python::register_client(m);
}

// bind.hpp — the registration functions of the `pyro._core` module, one per concept.
// The bindings only convert types and errors; behaviour lives in the C++ API.
#pragma once

#include <pybind11/pybind11.h>

namespace pyro::python {

/// pyro.Error and one subclass per ErrorCode, plus the exception translator.
void register_errors(pybind11::module_& m);

/// ExecResult, VmInfo, EnvironmentInfo, PruneResult, DoctorCheck, DoctorReport.
void register_types(pybind11::module_& m);

/// WorkspaceInfo and the other results of the workspace operations (pyro/workspace.hpp).
void register_workspace_types(pybind11::module_& m);

/// ServiceInfo, PublishedPort, ServiceLogs, ShellInfo, ShellOutput (services and shells).
void register_workspace_services_types(pybind11::module_& m);

/// pyro.Pyro, the client (its workspace methods come from bind_workspace_ops.cpp).
void register_client(pybind11::module_& m);

/// pyro.LogLevel and pyro.set_log_handler.
void register_log(pybind11::module_& m);

}  // namespace pyro::python

// bind_workspace_services_types.cpp — the results of the service and shell
// operations (pyro/workspace.hpp) as read-only Python classes with the C++ member
// names, __repr__ and to_dict(). The OutputChunk of ServiceLogs and ShellOutput is
// flattened into them (logs.output, logs.next_cursor, ...), in the attributes and
// in to_dict() alike. `output` is text (UTF-8, invalid bytes replaced) and
// `output_bytes` the exact bytes, as ExecResult.stdout and stdout_bytes.
#include <string>

#include <pybind11/stl.h>

#include "bind.hpp"
#include "json_dict.hpp"
#include "pyro/workspace.hpp"
#include "result_text.hpp"

namespace py = pybind11;

namespace pyro::python {
namespace {

// The repr of an output result: the output's length instead of the text, and
// the nested state as its state string, to keep it one short line.
py::dict short_output_dict(py::dict d, const char* nested, const std::string& state) {
  d["output"] = py::len(d["output"]);
  d[nested] = state;
  return d;
}

// Adds the flattened OutputChunk attributes to ServiceLogs or ShellOutput.
template <class T>
void def_chunk(py::class_<T>& cls) {
  cls.def_property_readonly("output", [](const T& r) { return text(r.chunk.output); },
                            "the output decoded as UTF-8, invalid bytes replaced; secrets redacted")
      .def_property_readonly("output_bytes", [](const T& r) { return bytes(r.chunk.output); },
                             "the output exactly as kept (secrets redacted)")
      .def_property_readonly("cursor", [](const T& r) { return r.chunk.cursor; },
                             "byte offset of the first byte returned")
      .def_property_readonly("next_cursor", [](const T& r) { return r.chunk.next_cursor; },
                             "pass it as `cursor` to the next read")
      .def_property_readonly("missed_bytes", [](const T& r) { return r.chunk.missed_bytes; },
                             "dropped from the ring before `cursor` was read")
      .def_property_readonly("more", [](const T& r) { return r.chunk.more; },
                             "output past next_cursor is already available");
}

}  // namespace

void register_workspace_services_types(py::module_& m) {
  py::class_<PublishedPort>(m, "PublishedPort", "A service's guest port forwarded from host:host_port.")
      .def_readonly("guest_port", &PublishedPort::guest_port)
      .def_readonly("host_port", &PublishedPort::host_port)
      .def_readonly("host", &PublishedPort::host, "always \"127.0.0.1\"")
      .def("to_dict", &json_dict<PublishedPort>)
      .def("__repr__", [](const PublishedPort& p) { return repr_of("PublishedPort", json_dict(p)); });

  py::class_<ServiceInfo>(m, "ServiceInfo", "A snapshot of one service's state.")
      .def_readonly("name", &ServiceInfo::name)
      .def_readonly("command", &ServiceInfo::command)
      .def_readonly("cwd", &ServiceInfo::cwd)
      .def_readonly("state", &ServiceInfo::state,
                    "\"starting\", \"running\", \"exited\", \"failed\" (never ready) or \"stopped\"")
      .def_readonly("pid", &ServiceInfo::pid, "guest pid while running")
      .def_property_readonly(
          "exit_code", [](const ServiceInfo& s) -> py::object { return json_dict(s)["exit_code"]; },
          "last exit, shell-style (128+N for signal N); None while starting or running")
      .def_readonly("signal", &ServiceInfo::signal)
      .def_readonly("restarts", &ServiceInfo::restarts)
      .def_readonly("started_at", &ServiceInfo::started_at, "RFC 3339, UTC (the guest's clock)")
      .def_readonly("ended_at", &ServiceInfo::ended_at)
      .def_readonly("readiness", &ServiceInfo::readiness, "\"\" or the readiness type")
      .def_readonly("ready", &ServiceInfo::ready)
      .def_readonly("published_ports", &ServiceInfo::published_ports)
      .def("to_dict", &json_dict<ServiceInfo>)
      .def("__repr__", [](const ServiceInfo& s) { return repr_of("ServiceInfo", json_dict(s)); });

  py::class_<ServiceLogs> logs(m, "ServiceLogs",
                               "A piece of a service's output; pass next_cursor to the next read.");
  logs.def_readonly("name", &ServiceLogs::name)
      .def_readonly("service", &ServiceLogs::service, "the service's state at the time of the read");
  def_chunk(logs);
  logs.def("to_dict", &json_dict<ServiceLogs>)
      .def("__repr__", [](const ServiceLogs& l) {
        return repr_of("ServiceLogs", short_output_dict(json_dict(l), "service", l.service.state));
      });

  py::class_<ShellInfo>(m, "ShellInfo", "A snapshot of one shell's state.")
      .def_readonly("shell_id", &ShellInfo::shell_id, "\"sh-\" + 8 hex digits")
      .def_readonly("state", &ShellInfo::state, "\"running\" or \"exited\"")
      .def_readonly("pid", &ShellInfo::pid)
      .def_property_readonly(
          "exit_code", [](const ShellInfo& s) -> py::object { return json_dict(s)["exit_code"]; },
          "when exited; None while running")
      .def_readonly("cols", &ShellInfo::cols)
      .def_readonly("rows", &ShellInfo::rows)
      .def_readonly("cwd", &ShellInfo::cwd, "where it started")
      .def_readonly("created_at", &ShellInfo::created_at, "RFC 3339, UTC")
      .def("to_dict", &json_dict<ShellInfo>)
      .def("__repr__", [](const ShellInfo& s) { return repr_of("ShellInfo", json_dict(s)); });

  py::class_<ShellOutput> out(m, "ShellOutput",
                              "A piece of a shell's output; pass next_cursor to the next read.");
  out.def_readonly("shell_id", &ShellOutput::shell_id)
      .def_readonly("shell", &ShellOutput::shell, "the shell's state at the time of the read");
  def_chunk(out);
  out.def("to_dict", &json_dict<ShellOutput>)
      .def("__repr__", [](const ShellOutput& o) {
        return repr_of("ShellOutput", short_output_dict(json_dict(o), "shell", o.shell.state));
      });
}

}  // namespace pyro::python

// bind_workspace_services.cpp — the service and shell methods of pyro.Pyro
// (pyro/client.hpp, spec/operations.json since 0.3). Like bind_workspace_ops.cpp:
// arguments are converted with the GIL held, and the GIL is released only around
// the C++ call. `readiness` and `published_ports` are the table's "json" params:
// a dict and a list, checked by dict_args.hpp.
#include <cstdint>
#include <string>
#include <utility>

#include <pybind11/stl.h>

#include "bind.hpp"
#include "client_handle.hpp"
#include "dict_args.hpp"
#include "pyro/client.hpp"
#include "pyro/error.hpp"

namespace py = pybind11;

namespace pyro::python {
namespace {

// readiness={"type": "http", "url": ..., "timeout_seconds": ..., "interval_ms": ...}
ServiceReadiness readiness_arg(const py::object& value) {
  ServiceReadiness r;
  if (value.is_none()) return r;
  const std::string what = "readiness";
  py::dict d = dict_arg(value, what);
  check_keys(d, what, {"type", "path", "port", "url", "command", "timeout_seconds", "interval_ms"});
  auto type = str_field(d, "type", what);
  if (!type) {
    throw Error(ErrorCode::kInvalidArgument,
                "check `readiness`: `type` is missing (\"file\", \"tcp\", \"http\" or \"command\")");
  }
  r.type = *type;
  if (auto v = str_field(d, "path", what)) r.path = *v;
  if (auto v = int_field<uint32_t>(d, "port", what)) r.port = *v;
  if (auto v = str_field(d, "url", what)) r.url = *v;
  if (auto v = str_field(d, "command", what)) r.command = *v;
  if (auto v = number_field(d, "timeout_seconds", what)) r.timeout_seconds = *v;
  if (auto v = int_field<uint32_t>(d, "interval_ms", what)) r.interval_ms = *v;
  return r;
}

// published_ports=[8080, ...]
std::vector<uint32_t> ports_arg(const py::object& value) {
  std::vector<uint32_t> out;
  if (value.is_none()) return out;
  auto items = list_arg(value, "published_ports", "a list of guest port numbers");
  for (size_t i = 0; i < items.size(); ++i) {
    py::object port = items[i];
    std::string what = "published_ports[" + std::to_string(i) + "]";
    if (!py::isinstance<py::int_>(port) || py::isinstance<py::bool_>(port)) wrong_type(what, "an int", port);
    out.push_back(int_arg<uint32_t>(port.cast<long long>(), what.c_str()));
  }
  return out;
}

OutputReadOptions read_options(long long cursor, long long tail_lines, long long max_bytes,
                               double wait_seconds) {
  OutputReadOptions o;
  // -1 is the only negative cursor the table allows; the core judges the rest.
  o.cursor = cursor;
  o.tail_lines = int_arg<uint32_t>(tail_lines, "tail_lines");
  o.max_bytes = int_arg<uint64_t>(max_bytes, "max_bytes");
  o.wait_seconds = wait_seconds;
  return o;
}

// Operations addressed by workspace and one service name or shell id.
template <auto Method>
auto workspace_and_id() {
  return [](const Client& self, const std::string& workspace, const std::string& id) {
    auto client = self.get();
    py::gil_scoped_release release;
    return ((*client).*Method)(workspace, id);
  };
}

}  // namespace

void register_workspace_services_ops(py::class_<Client>& cls) {
  cls.def(
         "start_service",
         [](const Client& self, const std::string& workspace, const std::string& name,
            const std::string& command, const py::object& cwd, Env env, Env secret_env,
            const py::object& readiness, const py::object& published_ports,
            const std::string& restart, long long max_restarts) {
           auto client = self.get();
           ServiceOptions o;
           o.cwd = path_arg(cwd);
           if (env) o.env = std::move(*env);
           if (secret_env) o.secret_env = std::move(*secret_env);
           o.readiness = readiness_arg(readiness);
           o.published_ports = ports_arg(published_ports);
           o.restart = restart;
           o.max_restarts = int_arg<uint32_t>(max_restarts, "max_restarts");
           py::gil_scoped_release release;
           return client->start_service(workspace, name, command, o);
         },
         py::arg("workspace"), py::arg("name"), py::arg("command"), py::kw_only(),
         py::arg("cwd") = py::none(), py::arg("env") = py::none(), py::arg("secret_env") = py::none(),
         py::arg("readiness") = py::none(), py::arg("published_ports") = py::none(),
         py::arg("restart") = "never", py::arg("max_restarts") = 5,
         "Start `command` (sh -c) as service `name`, supervised by the guest agent, and wait "
         "until its readiness check passes. `readiness` is a dict {\"type\": \"file\"|\"tcp\"|"
         "\"http\"|\"command\", \"path\"|\"port\"|\"url\"|\"command\": ..., \"timeout_seconds\": 30, "
         "\"interval_ms\": 200}; None: ready once spawned. `published_ports` lists guest TCP "
         "ports to forward from 127.0.0.1 (needs network_policy \"egress+published-ports\"); "
         "the result tells each one's host_port.\n\n"
         "Raises InvalidArgumentError, NotFoundError (workspace, secret, cwd), AlreadyExistsError "
         "(running under that name), FailedPreconditionError (published ports without the "
         "policy; exited before ready), DeadlineExceededError (not ready in time: the service "
         "is stopped and the message ends with its last log lines), ResourceExhaustedError.")
      .def(
          "list_services",
          [](const Client& self, const std::string& workspace) {
            auto client = self.get();
            py::gil_scoped_release release;
            return client->list_services(workspace);
          },
          py::arg("workspace"),
          "The services of a workspace, ended ones included.\n\n"
          "Raises NotFoundError, FailedPreconditionError (not running).")
      .def("status_service", workspace_and_id<&Pyro::status_service>(), py::arg("workspace"),
           py::arg("name"),
           "State, pid, exit code and restarts of one service.\n\n"
           "Raises NotFoundError, FailedPreconditionError.")
      .def(
          "logs_service",
          [](const Client& self, const std::string& workspace, const std::string& name,
             long long cursor, long long tail_lines, long long max_bytes, double wait_seconds) {
            auto client = self.get();
            auto o = read_options(cursor, tail_lines, max_bytes, wait_seconds);
            py::gil_scoped_release release;
            return client->logs_service(workspace, name, o);
          },
          py::arg("workspace"), py::arg("name"), py::kw_only(), py::arg("cursor") = -1,
          py::arg("tail_lines") = 100, py::arg("max_bytes") = 65536, py::arg("wait_seconds") = 0.0,
          "Read a service's output (stdout and stderr): the last `tail_lines` lines (cursor -1) "
          "or from a cursor (next_cursor of the previous read); secrets redacted.\n\n"
          "Raises NotFoundError, InvalidArgumentError, FailedPreconditionError.")
      .def(
          "stop_service",
          [](const Client& self, const std::string& workspace, const std::string& name,
             const std::string& signal, double grace_seconds) {
            auto client = self.get();
            ServiceStopOptions o;
            o.signal = signal;
            o.grace_seconds = grace_seconds;
            py::gil_scoped_release release;
            return client->stop_service(workspace, name, o);
          },
          py::arg("workspace"), py::arg("name"), py::kw_only(), py::arg("signal") = "TERM",
          py::arg("grace_seconds") = 5.0,
          "Stop a service: `signal` to its process group, SIGKILL after `grace_seconds`; its "
          "published ports are removed. Idempotent on an ended service.\n\n"
          "Raises NotFoundError, InvalidArgumentError, FailedPreconditionError.")
      .def(
          "open_shell",
          [](const Client& self, const std::string& workspace, const py::object& cwd, Env env,
             Env secret_env, long long cols, long long rows) {
            auto client = self.get();
            ShellOptions o;
            o.cwd = path_arg(cwd);
            if (env) o.env = std::move(*env);
            if (secret_env) o.secret_env = std::move(*secret_env);
            o.cols = int_arg<uint32_t>(cols, "cols");
            o.rows = int_arg<uint32_t>(rows, "rows");
            py::gil_scoped_release release;
            return client->open_shell(workspace, o);
          },
          py::arg("workspace"), py::kw_only(), py::arg("cwd") = py::none(), py::arg("env") = py::none(),
          py::arg("secret_env") = py::none(), py::arg("cols") = 120, py::arg("rows") = 40,
          "Open an interactive shell on a PTY; its cwd and variables persist between writes.\n\n"
          "Raises NotFoundError (workspace, secret, cwd), InvalidArgumentError, "
          "ResourceExhaustedError (too many shells), FailedPreconditionError.")
      .def(
          "write_shell",
          [](const Client& self, const std::string& workspace, const std::string& shell_id,
             const std::string& input) {
            auto client = self.get();
            py::gil_scoped_release release;
            return client->write_shell(workspace, shell_id, input);
          },
          py::arg("workspace"), py::arg("shell_id"), py::arg("input"),
          "Type `input` into the shell (end a line with \"\\n\" to run it; at most 65536 bytes).\n\n"
          "Raises NotFoundError, InvalidArgumentError, FailedPreconditionError (the shell exited).")
      .def(
          "read_shell",
          [](const Client& self, const std::string& workspace, const std::string& shell_id,
             long long cursor, long long max_bytes, double wait_seconds) {
            auto client = self.get();
            auto o = read_options(cursor, 100, max_bytes, wait_seconds);
            py::gil_scoped_release release;
            return client->read_shell(workspace, shell_id, o);
          },
          py::arg("workspace"), py::arg("shell_id"), py::kw_only(), py::arg("cursor") = -1,
          py::arg("max_bytes") = 65536, py::arg("wait_seconds") = 0.0,
          "Read a shell's output from a cursor (-1: the oldest byte kept); replayable while the "
          "ring keeps it; secrets redacted.\n\n"
          "Raises NotFoundError, InvalidArgumentError, FailedPreconditionError.")
      .def(
          "resize_shell",
          [](const Client& self, const std::string& workspace, const std::string& shell_id,
             long long cols, long long rows) {
            auto client = self.get();
            uint32_t c = int_arg<uint32_t>(cols, "cols");
            uint32_t r = int_arg<uint32_t>(rows, "rows");
            py::gil_scoped_release release;
            return client->resize_shell(workspace, shell_id, c, r);
          },
          py::arg("workspace"), py::arg("shell_id"), py::arg("cols"), py::arg("rows"),
          "Change a shell's terminal size.\n\n"
          "Raises NotFoundError, InvalidArgumentError, FailedPreconditionError.")
      .def(
          "signal_shell",
          [](const Client& self, const std::string& workspace, const std::string& shell_id,
             const std::string& signal) {
            auto client = self.get();
            py::gil_scoped_release release;
            return client->signal_shell(workspace, shell_id, signal);
          },
          py::arg("workspace"), py::arg("shell_id"), py::kw_only(), py::arg("signal") = "INT",
          "Send a signal (INT, TERM, HUP, QUIT, KILL, TSTP, CONT, USR1, USR2, WINCH) to the "
          "shell's foreground process group.\n\n"
          "Raises NotFoundError, InvalidArgumentError, FailedPreconditionError.")
      .def("close_shell", workspace_and_id<&Pyro::close_shell>(), py::arg("workspace"),
           py::arg("shell_id"),
           "End a shell (SIGHUP, then SIGKILL) and forget its output.\n\n"
           "Raises NotFoundError, FailedPreconditionError.");
}

}  // namespace pyro::python

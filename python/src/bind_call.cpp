// bind_call.cpp — pyro.Pyro.call and the operation table: any operation by name,
// with a dict in and the result's one JSON form (the core's, pyro/json.hpp) out.
// Nothing is validated or serialised here; the core does both (lib/ops).
#include <string>

#include <pybind11/pybind11.h>

#include "bind.hpp"
#include "client_handle.hpp"
#include "py_output.hpp"
#include "py_progress.hpp"
#include "pyro/client.hpp"
#include "pyro/error.hpp"
#include "pyro/operations.hpp"

namespace py = pybind11;

namespace pyro::python {
namespace {

py::object json_loads(const std::string& text) { return py::module_::import("json").attr("loads")(text); }

// The arguments as JSON text. A value JSON cannot carry (a path object, a set) is
// a caller's mistake with a message naming the operation, not a TypeError.
std::string arguments_text(const std::string& operation, const py::object& arguments) {
  if (arguments.is_none()) return "";
  try {
    return py::module_::import("json").attr("dumps")(arguments).cast<std::string>();
  } catch (py::error_already_set& e) {
    if (!e.matches(PyExc_TypeError) && !e.matches(PyExc_ValueError)) throw;
    throw Error(ErrorCode::kInvalidArgument,
                "call `" + operation + "`: arguments are not JSON: " + std::string(py::str(e.value())));
  }
}

}  // namespace

void register_call(py::module_& m, py::class_<Client>& cls) {
  cls.def(
      "call",
      [](const Client& self, const std::string& operation, const py::object& arguments,
         const py::object& progress, const py::object& on_output, const py::object& cancel) {
        auto client = self.get();
        std::string args = arguments_text(operation, arguments);
        PyProgress py_progress(progress);
        PyOutput output(on_output, cancel);
        CallOptions options;
        options.progress = py_progress.handler();
        output.apply(options.on_output, options.cancel);
        std::string result = output.run([&] {
          py::gil_scoped_release release;
          return client->call(operation, args, options);
        });
        py_progress.rethrow();
        return json_loads(result);
      },
      py::arg("operation"), py::arg("arguments") = py::none(), py::kw_only(), py::arg("progress") = py::none(),
      py::arg("on_output") = py::none(), py::arg("cancel") = py::none(),
      "Run any operation of the table by name (e.g. \"exec_workspace\", or its MCP tool name "
      "\"vm_run\") with a dict of its parameters (a parameter's aliases, like `workspace_id`, "
      "count as its name); return the result's JSON form as a dict "
      "(lists as {\"items\": [...]}, no result as {}).\n\n"
      "Arguments are checked against the table (names, types, ranges) and its defaults filled "
      "in; raises InvalidArgumentError for an unknown operation or a bad argument, else the "
      "operation's own errors.\n\n"
      "`progress`, if given, receives pyro.Progress events of pull_environment, "
      "import_environment and create_workspace, as for pull_environment. `on_output` and "
      "`cancel` reach run_in_vm, exec_vm and exec_workspace, as for run_in_vm.");
  m.def(
      "operation_table", [] { return json_loads(operation_table_json()); },
      "The operation table (spec/operations.json) compiled into libpyro, as a dict.");
  m.def(
      "result_schemas", [] { return json_loads(result_schemas_json()); },
      "The JSON Schema of each result type's JSON form (spec/result_schemas.json), as a dict.");
  m.def(
      "tool_definitions", [](const std::string& profile) { return json_loads(tool_definitions_json(profile)); },
      py::arg("profile"),
      "The MCP Tool objects (name, title, description, inputSchema, outputSchema, annotations) "
      "of a profile: \"vm-run\", \"workspace-core\" or \"workspace-full\".");
  m.def(
      "tool_name",
      [](const std::string& name) -> py::object {
        std::string tool = pyro::tool_name(name);
        return tool.empty() ? py::object(py::none()) : py::object(py::str(tool));
      },
      py::arg("name"),
      "The tool name of the operation `name` names (its tool name or table name, aliases of "
      "each other: \"start_service\" -> \"service_start\"), or None.");
}

}  // namespace pyro::python

// bind_errors.cpp — the exception hierarchy: pyro.Error and one subclass per
// ErrorCode (names from spec/error_codes.json), some also inheriting a builtin
// so plain `except LookupError:` code keeps working.
#include <array>
#include <exception>

#include "bind.hpp"
#include "pyro/error.hpp"

namespace py = pybind11;

namespace pyro::python {
namespace {

struct ErrorClass {
  ErrorCode code;
  const char* name;     // Python class name
  PyObject* builtin;    // extra base, or nullptr
  const char* doc;
};

// Indexed by ErrorCode value (kOk has no class; it never travels as an error).
std::array<PyObject*, 15> g_classes{};
PyObject* g_base = nullptr;

void raise(const Error& e) {
  auto i = static_cast<size_t>(e.code());
  PyObject* cls = (i > 0 && i < g_classes.size() && g_classes[i]) ? g_classes[i]
                                                                 : g_classes[static_cast<size_t>(ErrorCode::kInternal)];
  py::object instance = py::reinterpret_borrow<py::object>(cls)(py::str(e.what()));
  instance.attr("code") = error_code_name(e.code());
  instance.attr("message") = e.what();
  PyErr_SetObject(cls, instance.ptr());
}

}  // namespace

void register_errors(py::module_& m) {
  py::dict base_dict;
  base_dict["code"] = "internal";
  base_dict["message"] = "";
  g_base = PyErr_NewExceptionWithDoc(
      "pyro.Error",
      "Base of every pyro failure. `code` is the wire name from spec/error_codes.json "
      "(e.g. \"not_found\"), `message` the human-readable cause.",
      PyExc_Exception, base_dict.ptr());
  if (!g_base) throw py::error_already_set();
  m.attr("Error") = py::handle(g_base);

  const ErrorClass classes[] = {
      {ErrorCode::kInvalidArgument, "InvalidArgumentError", PyExc_ValueError,
       "a parameter is malformed or out of range"},
      {ErrorCode::kNotFound, "NotFoundError", PyExc_LookupError,
       "the named VM, environment, workspace or file does not exist"},
      {ErrorCode::kAlreadyExists, "AlreadyExistsError", nullptr, "the named object exists already"},
      {ErrorCode::kFailedPrecondition, "FailedPreconditionError", nullptr,
       "the object is not in a state that allows the operation"},
      {ErrorCode::kDeadlineExceeded, "DeadlineExceededError", PyExc_TimeoutError,
       "a pyro-side deadline passed (boot, agent reply)"},
      {ErrorCode::kCancelled, "CancelledError", nullptr, "the operation was cancelled"},
      {ErrorCode::kUnavailable, "UnavailableError", nullptr,
       "a host resource is missing or unusable (VMM, accelerator, kernel)"},
      {ErrorCode::kPermissionDenied, "PermissionDeniedError", PyExc_PermissionError,
       "the host denied access"},
      {ErrorCode::kResourceExhausted, "ResourceExhaustedError", nullptr,
       "memory, disk or a size limit ran out"},
      {ErrorCode::kUnimplemented, "UnimplementedError", PyExc_NotImplementedError,
       "the operation is not supported here"},
      {ErrorCode::kInternal, "InternalError", nullptr, "a bug or an unexpected failure inside pyro"},
      {ErrorCode::kAgentProtocol, "AgentProtocolError", nullptr,
       "the guest agent sent something the host cannot accept"},
      {ErrorCode::kVmCrashed, "VmCrashedError", nullptr,
       "the VMM process exited or the guest died unexpectedly"},
      {ErrorCode::kUser, "UserError", nullptr, "a user callback failed"},
  };
  for (const auto& c : classes) {
    py::tuple bases = c.builtin ? py::make_tuple(py::handle(g_base), py::handle(c.builtin))
                                : py::make_tuple(py::handle(g_base));
    py::dict dict;
    dict["code"] = error_code_name(c.code);
    std::string qualified = std::string("pyro.") + c.name;
    PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), c.doc, bases.ptr(), dict.ptr());
    if (!cls) throw py::error_already_set();
    g_classes[static_cast<size_t>(c.code)] = cls;  // owned by the module for its lifetime
    m.attr(c.name) = py::handle(cls);
  }

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      raise(e);
    }
  });
}

}  // namespace pyro::python

// bind_client.cpp — pyro.Pyro over pyro::Pyro. Method and parameter names come
// from spec/operations.json (checked by tests/python/test_parity.py). Each
// method converts its arguments with the GIL held, then releases the GIL only
// around the C++ call, so other Python threads run while a VM boots.
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <pybind11/stl.h>

#include "bind.hpp"
#include "pyro/client.hpp"
#include "pyro/error.hpp"

namespace py = pybind11;

namespace pyro::python {
namespace {

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
    py::gil_scoped_release release;
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

// str or os.PathLike (pathlib) -> std::string; None -> "".
std::string path_arg(const py::object& value) {
  if (value.is_none()) return {};
  return py::str(py::module_::import("os").attr("fspath")(value)).cast<std::string>();
}

// Python ints are unbounded: range-check instead of letting pybind11 raise TypeError,
// so out-of-range values are InvalidArgumentError like every other bad value.
template <class T>
T int_arg(long long value, const char* name) {
  if (value < 0 || static_cast<unsigned long long>(value) > std::numeric_limits<T>::max()) {
    throw Error(ErrorCode::kInvalidArgument,
                std::string("check `") + name + "`: " + std::to_string(value) + " is out of range");
  }
  return static_cast<T>(value);
}

VmOptions vm_options(long long vcpu_count, long long mem_mib, bool network) {
  VmOptions o;
  o.vcpu_count = int_arg<uint32_t>(vcpu_count, "vcpu_count");
  o.mem_mib = int_arg<uint32_t>(mem_mib, "mem_mib");
  o.network = network;
  return o;
}

ExecOptions exec_options(double timeout_seconds, Env env, const py::object& cwd,
                         long long max_output_bytes) {
  ExecOptions o;
  o.timeout_seconds = timeout_seconds;
  o.max_output_bytes = int_arg<uint64_t>(max_output_bytes, "max_output_bytes");
  if (env) o.env = std::move(*env);
  o.cwd = path_arg(cwd);
  return o;
}

}  // namespace

void register_client(py::module_& m) {
  py::class_<Client>(m, "Pyro", R"doc(A pyro client: the owner of the VMs it creates.

Use it as a context manager so every VM it still owns is stopped on exit:

    with pyro.Pyro() as p:
        r = p.run_in_vm("busybox", "echo hello")
        assert r.stdout == "hello\n"

Methods are thread-safe and release the GIL while they wait for a VM.)doc")
      .def(py::init([](const py::object& home, const py::object& accelerator,
                       const py::object& qemu_binary, double boot_timeout_seconds) {
             ClientOptions o;
             o.home = path_arg(home);
             o.accelerator = accelerator.is_none() ? std::string() : accelerator.cast<std::string>();
             o.qemu_binary = path_arg(qemu_binary);
             o.boot_timeout_seconds = boot_timeout_seconds;
             return std::make_unique<Client>(std::move(o));  // cheap: nothing is booted yet
           }),
           py::arg("home") = py::none(), py::arg("accelerator") = py::none(),
           py::arg("qemu_binary") = py::none(), py::arg("boot_timeout_seconds") = 30.0,
           "Open a client. `home` defaults to $PYRO_HOME, else $XDG_CACHE_HOME/pyro, else "
           "~/.cache/pyro; `accelerator` is \"auto\", \"kvm\" or \"tcg\". Raises InvalidArgumentError.")
      .def(
          "run_in_vm",
          [](const Client& self, const std::string& environment, const std::string& command,
             long long vcpu_count, long long mem_mib, double timeout_seconds, bool network, Env env,
             const py::object& cwd, long long max_output_bytes) {
            auto client = self.get();
            auto vm = vm_options(vcpu_count, mem_mib, network);
            auto exec = exec_options(timeout_seconds, std::move(env), cwd, max_output_bytes);
            py::gil_scoped_release release;
            return client->run_in_vm(environment, command, vm, exec);
          },
          py::arg("environment"), py::arg("command"), py::kw_only(), py::arg("vcpu_count") = 1,
          py::arg("mem_mib") = 256, py::arg("timeout_seconds") = 30.0, py::arg("network") = false,
          py::arg("env") = py::none(), py::arg("cwd") = py::none(),
          py::arg("max_output_bytes") = 1048576,
          "Boot a fresh VM, run one shell command in it, delete the VM, and return the result.\n\n"
          "Raises InvalidArgumentError, NotFoundError (environment), UnavailableError, "
          "DeadlineExceededError (boot), VmCrashedError.")
      .def(
          "create_vm",
          [](const Client& self, const std::string& environment, long long vcpu_count,
             long long mem_mib, bool network) {
            auto client = self.get();
            auto vm = vm_options(vcpu_count, mem_mib, network);
            py::gil_scoped_release release;
            return client->create_vm(environment, vm);
          },
          py::arg("environment"), py::kw_only(), py::arg("vcpu_count") = 1, py::arg("mem_mib") = 256,
          py::arg("network") = false,
          "Register a VM of an environment without booting it.\n\n"
          "Raises InvalidArgumentError, NotFoundError.")
      .def(
          "start_vm",
          [](const Client& self, const std::string& vm_id) {
            auto client = self.get();
            py::gil_scoped_release release;
            return client->start_vm(vm_id);
          },
          py::arg("vm_id"),
          "Boot a created VM and wait until its agent answers.\n\n"
          "Raises NotFoundError, FailedPreconditionError, UnavailableError, DeadlineExceededError.")
      .def(
          "exec_vm",
          [](const Client& self, const std::string& vm_id, const std::string& command,
             double timeout_seconds, Env env, const py::object& cwd, long long max_output_bytes) {
            auto client = self.get();
            auto exec = exec_options(timeout_seconds, std::move(env), cwd, max_output_bytes);
            py::gil_scoped_release release;
            return client->exec_vm(vm_id, command, exec);
          },
          py::arg("vm_id"), py::arg("command"), py::kw_only(), py::arg("timeout_seconds") = 30.0,
          py::arg("env") = py::none(), py::arg("cwd") = py::none(),
          py::arg("max_output_bytes") = 1048576,
          "Run one shell command in a VM, then delete the VM.\n\n"
          "Raises NotFoundError, InvalidArgumentError, DeadlineExceededError, VmCrashedError.")
      .def(
          "status_vm",
          [](const Client& self, const std::string& vm_id) {
            auto client = self.get();
            py::gil_scoped_release release;
            return client->status_vm(vm_id);
          },
          py::arg("vm_id"), "Report the state of one VM.\n\nRaises NotFoundError.")
      .def(
          "list_vms",
          [](const Client& self) {
            auto client = self.get();
            py::gil_scoped_release release;
            return client->list_vms();
          },
          "List the VMs this client owns, oldest first.")
      .def(
          "delete_vm",
          [](const Client& self, const std::string& vm_id) {
            auto client = self.get();
            py::gil_scoped_release release;
            client->delete_vm(vm_id);
          },
          py::arg("vm_id"), "Stop and forget a VM.\n\nRaises NotFoundError.")
      .def(
          "list_environments",
          [](const Client& self) {
            auto client = self.get();
            py::gil_scoped_release release;
            return client->list_environments();
          },
          "List the environments of the catalog and whether each is installed.")
      .def(
          "doctor",
          [](const Client& self) {
            auto client = self.get();
            py::gil_scoped_release release;
            return client->doctor();
          },
          "Check the host: VMM, accelerator, kernel and cache, saying why anything is unusable.")
      .def_property_readonly(
          "home", [](const Client& self) { return self.get()->home(); },
          "The resolved cache/state directory.")
      .def_property_readonly("closed", &Client::closed)
      .def("close", &Client::close,
           "Stop and delete every VM this client owns and release it. Idempotent; later calls "
           "raise FailedPreconditionError.")
      .def("__enter__", [](py::object self) { return self; })
      .def(
          "__exit__",
          [](Client& self, const py::object&, const py::object&, const py::object&) {
            self.close();
            return false;
          },
          py::arg("exc_type"), py::arg("exc_value"), py::arg("traceback"))
      .def("__repr__", [](const Client& self) {
        if (self.closed()) return std::string("Pyro(closed)");
        return "Pyro(home=" + py::repr(py::str(self.get()->home())).cast<std::string>() + ")";
      });
}

}  // namespace pyro::python

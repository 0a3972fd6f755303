// bind_client.cpp — pyro.Pyro over pyro::Pyro. Method and parameter names come
// from spec/operations.json (checked by tests/python/test_parity.py). Each
// method converts its arguments with the GIL held, then releases the GIL only
// around the C++ call, so other Python threads run while a VM boots.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <pybind11/stl.h>

#include "bind.hpp"
#include "py_output.hpp"
#include "client_handle.hpp"
#include "py_progress.hpp"
#include "pyro/client.hpp"
#include "pyro/error.hpp"

namespace py = pybind11;

namespace pyro::python {
namespace {

VmOptions vm_options(long long vcpu_count, long long mem_mib, bool network) {
  VmOptions o;
  o.vcpu_count = int_arg<uint32_t>(vcpu_count, "vcpu_count");
  o.mem_mib = int_arg<uint32_t>(mem_mib, "mem_mib");
  o.network = network;
  return o;
}

// Client option `snapshots`: None -> "" (the default), a bool -> "1"/"0", a str as given.
std::string snapshots_arg(const py::object& value) {
  if (value.is_none()) return {};
  if (py::isinstance<py::bool_>(value)) return value.cast<bool>() ? "1" : "0";
  if (py::isinstance<py::str>(value)) return value.cast<std::string>();
  throw Error(ErrorCode::kInvalidArgument, "check `snapshots`: expected None, a bool or a str");
}

}  // namespace

void register_client(py::module_& m) {
  py::class_<Client> cls(m, "Pyro", R"doc(A pyro client: the owner of the VMs it creates.

Use it as a context manager so every VM it still owns is stopped on exit:

    with pyro.Pyro() as p:
        r = p.run_in_vm("busybox", "echo hello")
        assert r.stdout == "hello\n"

Methods are thread-safe and release the GIL while they wait for a VM.)doc");
  cls.def(py::init([](const py::object& home, const py::object& accelerator,
                       const py::object& qemu_binary, double boot_timeout_seconds,
                       const py::object& guest_dir, bool auto_pull, const py::object& snapshots,
                       const py::object& jail) {
             ClientOptions o;
             o.home = path_arg(home);
             o.accelerator = accelerator.is_none() ? std::string() : accelerator.cast<std::string>();
             o.qemu_binary = path_arg(qemu_binary);
             o.boot_timeout_seconds = boot_timeout_seconds;
             o.guest_dir = path_arg(guest_dir);
             o.auto_pull = auto_pull;
             o.snapshots = snapshots_arg(snapshots);
             o.jail = jail.is_none() ? std::string() : jail.cast<std::string>();
             return std::make_unique<Client>(std::move(o));  // cheap: nothing is booted yet
           }),
           py::arg("home") = py::none(), py::arg("accelerator") = py::none(),
           py::arg("qemu_binary") = py::none(), py::arg("boot_timeout_seconds") = 30.0,
           py::arg("guest_dir") = py::none(), py::arg("auto_pull") = false,
           py::arg("snapshots") = py::none(), py::arg("jail") = py::none(),
           "Open a client. `home` defaults to $PYRO_HOME, else $XDG_CACHE_HOME/pyro, else "
           "~/.cache/pyro; `accelerator` is \"auto\", \"kvm\" or \"tcg\"; `guest_dir` defaults to "
           "$PYRO_GUEST_DIR, else the installed guest files; `auto_pull` pulls a catalog "
           "environment on first use; `snapshots` is None ($PYRO_SNAPSHOTS, else on), a bool, or "
           "\"0\" to disable; `jail` is None ($PYRO_JAIL, else \"best-effort\"), \"strict\" or \"off\" "
           "(docs/jail.md). Raises InvalidArgumentError.")
      .def(
          "run_in_vm",
          [](const Client& self, const std::string& environment, const std::string& command,
             long long vcpu_count, long long mem_mib, double timeout_seconds, bool network, Env env,
             const py::object& cwd, long long max_output_bytes, const py::object& on_output,
             const py::object& cancel) {
            auto client = self.get();
            auto vm = vm_options(vcpu_count, mem_mib, network);
            auto exec = exec_options(timeout_seconds, std::move(env), cwd, max_output_bytes);
            PyOutput output(on_output, cancel);
            output.apply(exec.on_output, exec.cancel);
            return output.run([&] {
              py::gil_scoped_release release;
              return client->run_in_vm(environment, command, vm, exec);
            });
          },
          py::arg("environment"), py::arg("command"), py::kw_only(), py::arg("vcpu_count") = 1,
          py::arg("mem_mib") = 256, py::arg("timeout_seconds") = 30.0, py::arg("network") = false,
          py::arg("env") = py::none(), py::arg("cwd") = py::none(),
          py::arg("max_output_bytes") = 1048576, py::arg("on_output") = py::none(),
          py::arg("cancel") = py::none(),
          "Boot a fresh VM, run one shell command in it, delete the VM, and return the result.\n\n"
          "`on_output(stream, data)` receives the output live, as it arrives (\"stdout\" or \"stderr\", "
          "bytes); `cancel` is a CancelToken whose cancel() (from another thread) kills the command.\n\n"
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
             double timeout_seconds, Env env, const py::object& cwd, long long max_output_bytes,
             const py::object& on_output, const py::object& cancel) {
            auto client = self.get();
            auto exec = exec_options(timeout_seconds, std::move(env), cwd, max_output_bytes);
            PyOutput output(on_output, cancel);
            output.apply(exec.on_output, exec.cancel);
            return output.run([&] {
              py::gil_scoped_release release;
              return client->exec_vm(vm_id, command, exec);
            });
          },
          py::arg("vm_id"), py::arg("command"), py::kw_only(), py::arg("timeout_seconds") = 30.0,
          py::arg("env") = py::none(), py::arg("cwd") = py::none(),
          py::arg("max_output_bytes") = 1048576, py::arg("on_output") = py::none(),
          py::arg("cancel") = py::none(),
          "Run one shell command in a VM, then delete the VM. `on_output` and `cancel` as for run_in_vm.\n\n"
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
          "pull_environment",
          [](const Client& self, const std::string& name, bool force, const py::object& progress) {
            auto client = self.get();
            PyProgress py_progress(progress);
            PullOptions o;
            o.force = force;
            o.progress = py_progress.handler();
            EnvironmentInfo info;
            {
              py::gil_scoped_release release;
              info = client->pull_environment(name, o);
            }
            py_progress.rethrow();
            return info;
          },
          py::arg("name"), py::kw_only(), py::arg("force") = false,
          py::arg("progress") = py::none(),
          "Build a catalog environment into the local cache, or do nothing when it is current.\n\n"
          "`progress`, if given, is called with each pyro.Progress (stage, message, done, total, "
          "unit), with the GIL held, on the calling thread. If it raises, later events are not "
          "delivered and its exception "
          "is raised after the pull has finished.\n\n"
          "Raises NotFoundError (not in the catalog), UnavailableError (build tools, network).")
      .def(
          "inspect_environment",
          [](const Client& self, const std::string& name) {
            auto client = self.get();
            py::gil_scoped_release release;
            return client->inspect_environment(name);
          },
          py::arg("name"),
          "Describe one environment: source, packages, sizes, hashes, kernel and agent "
          "versions.\n\nRaises NotFoundError.")
      .def(
          "prune_environments",
          [](const Client& self, bool all, bool dry_run) {
            auto client = self.get();
            PruneOptions o;
            o.all = all;
            o.dry_run = dry_run;
            py::gil_scoped_release release;
            return client->prune_environments(o);
          },
          py::kw_only(), py::arg("all") = false, py::arg("dry_run") = false,
          "Remove stale cache entries, and with `all` every environment. With `dry_run`, "
          "report what would be removed and remove nothing.")
      .def(
          "import_environment",
          [](const Client& self, const std::string& name, const py::object& source, bool force,
             const py::object& progress) {
            auto client = self.get();
            if (source.is_none()) {
              throw Error(ErrorCode::kInvalidArgument, "check `source`: expected a path, not None");
            }
            std::string src = path_arg(source);
            PyProgress py_progress(progress);
            ImportOptions o;
            o.force = force;
            o.progress = py_progress.handler();
            EnvironmentInfo info;
            {
              py::gil_scoped_release release;
              info = client->import_environment(name, src, o);
            }
            py_progress.rethrow();
            return info;
          },
          py::arg("name"), py::arg("source"), py::kw_only(), py::arg("force") = false,
          py::arg("progress") = py::none(),
          "Import an OCI image layout or a docker save tarball as an environment.\n\n"
          "`source` is a str or os.PathLike; `progress` works as for pull_environment.\n\n"
          "Raises InvalidArgumentError (unsafe or malformed archive, bad name), "
          "AlreadyExistsError (without force; catalog names are reserved), NotFoundError "
          "(source missing).")
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
  register_workspace_ops(cls);
  register_workspace_services_ops(cls);
  register_call(m, cls);
}

}  // namespace pyro::python

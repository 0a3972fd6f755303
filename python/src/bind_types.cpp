// bind_types.cpp — result values as read-only Python classes with __repr__ and
// to_dict() (the core's JSON form, json_dict.hpp). Output streams are exposed twice: `stdout` as text (UTF-8, invalid
// bytes replaced) and `stdout_bytes` as the exact bytes.
#include <string>

#include <pybind11/stl.h>

#include "bind.hpp"
#include "json_dict.hpp"
#include "result_text.hpp"
#include "pyro/types.hpp"

namespace py = pybind11;

namespace pyro::python {
namespace {

// DoctorCheck has no JSON form of its own in the core: it is an element of
// DoctorReport's "checks", so its dict is taken from there.
py::dict check_dict(const DoctorCheck& c) {
  DoctorReport report;
  report.checks.push_back(c);
  return json_dict(report)["checks"].cast<py::list>()[0].cast<py::dict>();
}

}  // namespace

void register_types(py::module_& m) {
  py::class_<ExecResult>(m, "ExecResult",
                         "The outcome of one guest command. A non-zero exit is a result, not an error.")
      .def_readonly("exit_code", &ExecResult::exit_code,
                    "shell-style exit status: the exit code, or 128+signal when killed")
      .def_readonly("signal", &ExecResult::signal, "the signal that ended the command, 0 if it exited")
      .def_readonly("timed_out", &ExecResult::timed_out, "the guest killed the command at timeout_seconds")
      .def_property_readonly("stdout", [](const ExecResult& r) { return text(r.stdout_data); },
                             "stdout decoded as UTF-8, invalid bytes replaced")
      .def_property_readonly("stderr", [](const ExecResult& r) { return text(r.stderr_data); },
                             "stderr decoded as UTF-8, invalid bytes replaced")
      .def_property_readonly("stdout_bytes", [](const ExecResult& r) { return bytes(r.stdout_data); },
                             "stdout exactly as produced")
      .def_property_readonly("stderr_bytes", [](const ExecResult& r) { return bytes(r.stderr_data); },
                             "stderr exactly as produced")
      .def_readonly("stdout_truncated", &ExecResult::stdout_truncated)
      .def_readonly("stderr_truncated", &ExecResult::stderr_truncated)
      .def_readonly("duration_ms", &ExecResult::duration_ms, "command wall time measured in the guest")
      .def_readonly("vm_id", &ExecResult::vm_id)
      .def_readonly("cancelled", &ExecResult::cancelled, "the command was cancelled (a CancelToken)")
      .def("to_dict", &json_dict<ExecResult>, "A JSON-ready dict; stdout/stderr as text.")
      .def("__repr__", [](const ExecResult& r) { return repr_of("ExecResult", json_dict(r)); });

  py::class_<VmInfo>(m, "VmInfo", "A snapshot of one VM's description and state.")
      .def_readonly("vm_id", &VmInfo::vm_id)
      .def_readonly("environment", &VmInfo::environment)
      .def_property_readonly("state", [](const VmInfo& v) { return vm_state_name(v.state); },
                             "\"created\", \"running\", \"stopped\" or \"crashed\"")
      .def_readonly("vcpu_count", &VmInfo::vcpu_count)
      .def_readonly("mem_mib", &VmInfo::mem_mib)
      .def_readonly("network", &VmInfo::network)
      .def_readonly("accelerator", &VmInfo::accelerator, "\"kvm\" or \"tcg\" once started, \"\" before")
      .def_readonly("pid", &VmInfo::pid, "VMM process id while running, else 0")
      .def_readonly("created_at", &VmInfo::created_at, "RFC 3339, UTC")
      .def_readonly("boot_ms", &VmInfo::boot_ms, "VMM start to agent hello, once started")
      .def("to_dict", &json_dict<VmInfo>)
      .def("__repr__", [](const VmInfo& v) { return repr_of("VmInfo", json_dict(v)); });

  py::class_<EnvironmentInfo>(m, "EnvironmentInfo", "One environment: from the catalog or imported.")
      .def_readonly("name", &EnvironmentInfo::name)
      .def_readonly("description", &EnvironmentInfo::description)
      .def_readonly("installed", &EnvironmentInfo::installed)
      .def_readonly("path", &EnvironmentInfo::path)
      .def_readonly("kernel_version", &EnvironmentInfo::kernel_version)
      .def_readonly("agent_version", &EnvironmentInfo::agent_version)
      .def_readonly("sha256", &EnvironmentInfo::sha256, "content hash, \"\" when not installed")
      .def_readonly("source", &EnvironmentInfo::source,
                    "\"catalog\" (built by pyro) or \"import\" (from an OCI/docker image)")
      .def_readonly("version", &EnvironmentInfo::version,
                    "e.g. \"12\" for debian:12, or the image reference")
      .def_property_readonly(
          "packages", [](const EnvironmentInfo& e) { return py::cast(e.packages); },
          "Debian packages requested (catalog), else empty; a new list on each access")
      .def_readonly("size_bytes", &EnvironmentInfo::size_bytes, "bytes it takes in the cache")
      .def_readonly("built_at", &EnvironmentInfo::built_at, "RFC 3339, UTC")
      .def_readonly("has_rootfs", &EnvironmentInfo::has_rootfs,
                    "boots into an ext4 root filesystem (False: initramfs only)")
      .def_readonly("snapshot_ready", &EnvironmentInfo::snapshot_ready,
                    "a snapshot template exists for the default VM shape")
      .def("to_dict", &json_dict<EnvironmentInfo>)
      .def("__repr__", [](const EnvironmentInfo& e) {
        py::dict d = json_dict(e);
        d["packages"] = py::len(d["packages"]);  // keep the repr one short line
        return repr_of("EnvironmentInfo", d);
      });

  py::class_<PruneResult>(m, "PruneResult", "What prune_environments removed (or would remove).")
      .def_property_readonly(
          "removed", [](const PruneResult& r) { return py::cast(r.removed); },
          "paths removed, or that would be on a dry run")
      .def_readonly("bytes_freed", &PruneResult::bytes_freed)
      .def("to_dict", &json_dict<PruneResult>)
      .def("__repr__", [](const PruneResult& r) { return repr_of("PruneResult", json_dict(r)); });

  py::class_<DoctorCheck>(m, "DoctorCheck", "One named host check, whether it passed, and why.")
      .def_readonly("name", &DoctorCheck::name)
      .def_readonly("ok", &DoctorCheck::ok)
      .def_readonly("detail", &DoctorCheck::detail)
      .def("to_dict", &check_dict)
      .def("__repr__", [](const DoctorCheck& c) { return repr_of("DoctorCheck", check_dict(c)); });

  py::class_<DoctorReport>(m, "DoctorReport", "What pyro found on this host.")
      .def_readonly("ok", &DoctorReport::ok, "every check passed")
      .def_readonly("accelerator", &DoctorReport::accelerator, "\"kvm\", \"tcg\" or \"\" when none is usable")
      .def_readonly("accelerator_reason", &DoctorReport::accelerator_reason)
      .def_readonly("qemu_version", &DoctorReport::qemu_version)
      .def_readonly("home", &DoctorReport::home)
      .def_readonly("checks", &DoctorReport::checks)
      .def("to_dict", &json_dict<DoctorReport>)
      .def("__repr__", [](const DoctorReport& r) {
        py::dict d = json_dict(r);
        d["checks"] = py::len(d["checks"]);  // keep the repr one short line
        return repr_of("DoctorReport", d);
      });
}

}  // namespace pyro::python

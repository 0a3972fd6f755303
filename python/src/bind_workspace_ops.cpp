// bind_workspace_ops.cpp — the workspace methods of pyro.Pyro (pyro/client.hpp,
// spec/operations.json since 0.3). Like bind_client.cpp: arguments are converted
// with the GIL held, and the GIL is released only around the C++ call. Host paths
// (seed_path, source_path, output_path) and guest paths accept str or os.PathLike.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pybind11/stl.h>

#include "bind.hpp"
#include "py_output.hpp"
#include "client_handle.hpp"
#include "py_progress.hpp"
#include "dict_args.hpp"
#include "pyro/client.hpp"
#include "pyro/error.hpp"

namespace py = pybind11;

namespace pyro::python {
namespace {

using Labels = std::optional<std::map<std::string, std::string>>;

// A path the operation cannot do without: None is a caller mistake, not "".
std::string required_path(const py::object& value, const char* name) {
  if (value.is_none()) {
    throw Error(ErrorCode::kInvalidArgument, std::string("check `") + name + "`: expected a path, not None");
  }
  return path_arg(value);
}

std::string optional_str(const std::optional<std::string>& value) { return value.value_or(std::string()); }

// secrets=[{"name": ..., "value": ...} | {"name": ..., "file_path": ...}]
std::vector<WorkspaceSecret> secrets_arg(const py::object& value) {
  std::vector<WorkspaceSecret> out;
  if (value.is_none()) return out;
  auto items = list_arg(value, "secrets", "a list of dicts {\"name\", \"value\" | \"file_path\"}");
  for (size_t i = 0; i < items.size(); ++i) {
    std::string what = "secrets[" + std::to_string(i) + "]";
    py::dict d = dict_arg(items[i], what);
    check_keys(d, what, {"name", "value", "file_path"});
    auto name = str_field(d, "name", what);
    if (!name) throw Error(ErrorCode::kInvalidArgument, "check `" + what + "`: `name` is missing");
    auto secret_value = str_field(d, "value", what);
    auto file_path = path_field(d, "file_path", what);
    if (secret_value.has_value() == file_path.has_value()) {
      throw Error(ErrorCode::kInvalidArgument,
                  "check `" + what + "` (`" + *name + "`): give exactly one of `value` and `file_path`");
    }
    out.push_back(WorkspaceSecret{*name, secret_value.value_or(""), file_path.value_or("")});
  }
  return out;
}

// Lambdas for the operations whose arguments need no conversion beyond the
// defaults or that come in running/offline pairs; each `def` below still names
// its arguments and docstring. The GIL is released only around the C++ call.

// Operations whose only argument is the workspace.
template <auto Method>
auto workspace_only() {
  return [](const Client& self, const std::string& workspace) {
    auto client = self.get();
    py::gil_scoped_release release;
    return ((*client).*Method)(workspace);
  };
}

// Operations on one snapshot of a workspace.
template <auto Method>
auto workspace_and_name() {
  return [](const Client& self, const std::string& workspace, const std::string& name) {
    auto client = self.get();
    py::gil_scoped_release release;
    return ((*client).*Method)(workspace, name);
  };
}

// list_workspace_files and list_workspace_disk.
template <auto Method>
auto list_files() {
  return [](const Client& self, const std::string& workspace, const py::object& path,
            bool recursive) {
    auto client = self.get();
    std::string p = path_arg(path);
    py::gil_scoped_release release;
    return ((*client).*Method)(workspace, p, recursive);
  };
}

// read_workspace_file and read_workspace_disk.
template <auto Method>
auto read_file() {
  return [](const Client& self, const std::string& workspace, const py::object& path,
            long long max_bytes) {
    auto client = self.get();
    std::string p = required_path(path, "path");
    uint64_t limit = int_arg<uint64_t>(max_bytes, "max_bytes");
    py::gil_scoped_release release;
    return ((*client).*Method)(workspace, p, limit);
  };
}

}  // namespace

void register_workspace_ops(py::class_<Client>& cls) {
  cls.def(
         "create_workspace",
         [](const Client& self, const std::string& environment, const py::object& seed_path,
            const std::optional<std::string>& name, Labels labels, long long vcpu_count,
            long long mem_mib, long long disk_mib, const std::string& network_policy,
            const py::object& secrets, const py::object& progress) {
           auto client = self.get();
           PyProgress py_progress(progress);
           WorkspaceOptions o;
           o.seed_path = path_arg(seed_path);
           o.name = optional_str(name);
           if (labels) o.labels = std::move(*labels);
           o.vcpu_count = int_arg<uint32_t>(vcpu_count, "vcpu_count");
           o.mem_mib = int_arg<uint32_t>(mem_mib, "mem_mib");
           o.disk_mib = int_arg<uint64_t>(disk_mib, "disk_mib");
           o.network_policy = network_policy_from_name(network_policy);
           o.secrets = secrets_arg(secrets);
           o.progress = py_progress.handler();
           WorkspaceInfo info;
           {
             py::gil_scoped_release release;
             info = client->create_workspace(environment, o);
           }
           py_progress.rethrow();
           return info;
         },
         py::arg("environment"), py::kw_only(), py::arg("seed_path") = py::none(),
         py::arg("name") = py::none(), py::arg("labels") = py::none(), py::arg("vcpu_count") = 1,
         py::arg("mem_mib") = 256, py::arg("disk_mib") = 2048, py::arg("network_policy") = "off",
         py::arg("secrets") = py::none(), py::arg("progress") = py::none(),
         "Create a persistent workspace whose /workspace starts from `seed_path` (a host "
         "directory or .tar/.tar.gz/.tgz/.zip archive, the baseline; None: empty), and start it. "
         "The workspace outlives this client and process.\n\n"
         "`network_policy` is \"off\" (no NIC), \"egress\" or \"egress+published-ports\". "
         "`secrets` is a list of {\"name\", \"value\"} or {\"name\", \"file_path\"} dicts: kept on "
         "the host (0600), given to a process only through `secret_env`, redacted from all "
         "output.\n\n"
         "`progress`, if given, is called with each pyro.Progress (stages \"copy seed\", "
         "\"make disk\", \"start workspace\"), as for pull_environment.\n\n"
         "Raises InvalidArgumentError (options, unsafe archive), NotFoundError (environment, "
         "seed), AlreadyExistsError (name), ResourceExhaustedError (seed larger than the disk), "
         "UnavailableError, DeadlineExceededError, VmCrashedError.")
      .def(
          "list_workspaces",
          [](const Client& self) {
            auto client = self.get();
            py::gil_scoped_release release;
            return client->list_workspaces();
          },
          "List every workspace under home, oldest first (crashed VMMs show as state \"crashed\").")
      .def(
          "status_workspace",
          workspace_only<&Pyro::status_workspace>(),
          py::arg("workspace"), "Describe one workspace (by id or name).\n\nRaises NotFoundError.")
      .def(
          "update_workspace",
          [](const Client& self, const std::string& workspace, std::optional<std::string> name,
             Labels labels) {
            auto client = self.get();
            WorkspaceUpdate u;
            u.name = std::move(name);
            u.labels = std::move(labels);
            py::gil_scoped_release release;
            return client->update_workspace(workspace, u);
          },
          py::arg("workspace"), py::kw_only(), py::arg("name") = py::none(),
          py::arg("labels") = py::none(),
          "Rename (\"\" removes the name) or relabel (replaces every label) a workspace; None "
          "leaves a field alone.\n\n"
          "Raises NotFoundError, InvalidArgumentError, AlreadyExistsError (name).")
      .def(
          "delete_workspace",
          workspace_only<&Pyro::delete_workspace>(),
          py::arg("workspace"),
          "Stop the VM and remove the workspace with its disk and snapshots.\n\nRaises NotFoundError.")
      .def(
          "exec_workspace",
          [](const Client& self, const std::string& workspace, const std::string& command,
             double timeout_seconds, Env env, const py::object& cwd, long long max_output_bytes,
             Env secret_env, const py::object& on_output, const py::object& cancel) {
            auto client = self.get();
            auto exec = exec_options(timeout_seconds, std::move(env), cwd, max_output_bytes);
            if (secret_env) exec.secret_env = std::move(*secret_env);
            PyOutput output(on_output, cancel);
            output.apply(exec.on_output, exec.cancel);
            return output.run([&] {
              py::gil_scoped_release release;
              return client->exec_workspace(workspace, command, exec);
            });
          },
          py::arg("workspace"), py::arg("command"), py::kw_only(), py::arg("timeout_seconds") = 30.0,
          py::arg("env") = py::none(), py::arg("cwd") = py::none(),
          py::arg("max_output_bytes") = 1048576, py::arg("secret_env") = py::none(),
          py::arg("on_output") = py::none(), py::arg("cancel") = py::none(),
          "Run one shell command in a running workspace (cwd defaults to /workspace); files and "
          "state persist between calls. A non-zero exit is a result. `secret_env` maps "
          "environment variables to secret names ({\"TOKEN\": \"github\"}); their values are "
          "redacted from the output, also from the live chunks `on_output(stream, data)` receives. "
          "`cancel` is a CancelToken (as for run_in_vm).\n\n"
          "Raises NotFoundError, FailedPreconditionError (not running), InvalidArgumentError, "
          "DeadlineExceededError, VmCrashedError.")
      .def(
          "push_workspace_sync",
          [](const Client& self, const std::string& workspace, const py::object& source_path,
             const py::object& dest) {
            auto client = self.get();
            std::string source = required_path(source_path, "source_path");
            PushOptions o;
            o.dest = required_path(dest, "dest");
            py::gil_scoped_release release;
            return client->push_workspace_sync(workspace, source, o);
          },
          py::arg("workspace"), py::arg("source_path"), py::kw_only(),
          py::arg("dest") = "/workspace",
          "Copy a host directory or archive into the running workspace under `dest` (each file "
          "replaced atomically; nothing is deleted).\n\n"
          "Raises NotFoundError, InvalidArgumentError, FailedPreconditionError.")
      .def(
          "list_workspace_files",
          list_files<&Pyro::list_workspace_files>(),
          py::arg("workspace"), py::kw_only(), py::arg("path") = "", py::arg("recursive") = false,
          "List a directory (or one file) under /workspace without following symlinks; \"\" is "
          "/workspace itself.\n\nRaises NotFoundError, InvalidArgumentError.")
      .def(
          "read_workspace_file",
          read_file<&Pyro::read_workspace_file>(),
          py::arg("workspace"), py::arg("path"), py::kw_only(), py::arg("max_bytes") = 65536,
          "Read a text file, at most `max_bytes` (up to 1 MiB).\n\n"
          "Raises NotFoundError, InvalidArgumentError (path, binary content), "
          "FailedPreconditionError.")
      .def(
          "write_workspace_file",
          [](const Client& self, const std::string& workspace, const py::object& path,
             const std::string& text) {
            auto client = self.get();
            std::string p = required_path(path, "path");
            py::gil_scoped_release release;
            return client->write_workspace_file(workspace, p, text);
          },
          py::arg("workspace"), py::arg("path"), py::arg("text"),
          "Create or replace a text file atomically (parent directories created).\n\n"
          "Raises NotFoundError, InvalidArgumentError, FailedPreconditionError.")
      .def(
          "apply_workspace_patch",
          [](const Client& self, const std::string& workspace, const std::string& patch, bool dry_run) {
            auto client = self.get();
            PatchOptions o;
            o.dry_run = dry_run;
            py::gil_scoped_release release;
            return client->apply_workspace_patch(workspace, patch, o);
          },
          py::arg("workspace"), py::arg("patch"), py::kw_only(), py::arg("dry_run") = false,
          "Apply a unified diff atomically: every hunk of every file, or nothing. A hunk that "
          "does not match is a result (applied False, the report says which), not an error.\n\n"
          "Raises NotFoundError, InvalidArgumentError (malformed patch, paths), "
          "FailedPreconditionError.")
      .def(
          "diff_workspace",
          workspace_only<&Pyro::diff_workspace>(),
          py::arg("workspace"),
          "Changes under /workspace since the baseline; works running or stopped.\n\n"
          "Raises NotFoundError.")
      .def(
          "export_workspace",
          [](const Client& self, const std::string& workspace, const py::object& path,
             const py::object& output_path) {
            auto client = self.get();
            std::string p = required_path(path, "path");
            std::string out = required_path(output_path, "output_path");
            py::gil_scoped_release release;
            return client->export_workspace(workspace, p, out);
          },
          py::arg("workspace"), py::arg("path"), py::arg("output_path"),
          "Copy one file or a directory tree from /workspace to a new host path.\n\n"
          "Raises NotFoundError, AlreadyExistsError (output_path exists), InvalidArgumentError.")
      .def(
          "create_snapshot",
          workspace_and_name<&Pyro::create_snapshot>(),
          py::arg("workspace"), py::arg("name"),
          "Save the /workspace disk under `name`; the VM keeps running.\n\n"
          "Raises AlreadyExistsError, InvalidArgumentError (name), NotFoundError.")
      .def(
          "list_snapshots",
          workspace_only<&Pyro::list_snapshots>(),
          py::arg("workspace"), "List a workspace's snapshots.\n\nRaises NotFoundError.")
      .def(
          "delete_snapshot",
          workspace_and_name<&Pyro::delete_snapshot>(),
          py::arg("workspace"), py::arg("name"), "Remove one snapshot.\n\nRaises NotFoundError.")
      .def(
          "reset_workspace",
          [](const Client& self, const std::string& workspace, const std::optional<std::string>& snapshot) {
            auto client = self.get();
            std::string s = optional_str(snapshot);
            py::gil_scoped_release release;
            return client->reset_workspace(workspace, s);
          },
          py::arg("workspace"), py::kw_only(), py::arg("snapshot") = py::none(),
          "Restart the workspace with /workspace as at the baseline (snapshot None) or at a "
          "snapshot; processes in the VM end.\n\nRaises NotFoundError.")
      .def(
          "stop_workspace",
          workspace_only<&Pyro::stop_workspace>(),
          py::arg("workspace"),
          "Shut the VM down; /workspace stays on disk. Idempotent.\n\nRaises NotFoundError.")
      .def(
          "start_workspace",
          workspace_only<&Pyro::start_workspace>(),
          py::arg("workspace"),
          "Boot a stopped or crashed workspace from its disk. Idempotent when running.\n\n"
          "Raises NotFoundError, UnavailableError, DeadlineExceededError.")
      .def(
          "list_workspace_disk",
          list_files<&Pyro::list_workspace_disk>(),
          py::arg("workspace"), py::kw_only(), py::arg("path") = "", py::arg("recursive") = false,
          "List a directory of a stopped workspace's disk without starting it.\n\n"
          "A throwaway VM mounts a copy-on-write overlay of the disk and answers as the\n"
          "live file operations do; the disk itself is never written.\n\n"
          "Raises FailedPreconditionError (running), NotFoundError, InvalidArgumentError, "
          "UnavailableError (the VM could not start or mount the disk), DeadlineExceededError.")
      .def(
          "read_workspace_disk",
          read_file<&Pyro::read_workspace_disk>(),
          py::arg("workspace"), py::arg("path"), py::kw_only(), py::arg("max_bytes") = 65536,
          "Read a text file from a stopped workspace's disk without starting it.\n\n"
          "Raises FailedPreconditionError (running), NotFoundError, InvalidArgumentError, "
          "UnavailableError (the VM could not start or mount the disk), DeadlineExceededError.")
      .def(
          "export_workspace_disk",
          [](const Client& self, const std::string& workspace, const py::object& output_path) {
            auto client = self.get();
            std::string out = required_path(output_path, "output_path");
            py::gil_scoped_release release;
            return client->export_workspace_disk(workspace, out);
          },
          py::arg("workspace"), py::arg("output_path"),
          "Copy the raw ext4 image of a stopped workspace's /workspace to a new host file.\n\n"
          "Raises FailedPreconditionError (running), NotFoundError, AlreadyExistsError.");
}

}  // namespace pyro::python

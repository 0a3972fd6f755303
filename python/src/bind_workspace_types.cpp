// bind_workspace_types.cpp — the results of the workspace operations as read-only
// Python classes with the C++ member names, __repr__ and to_dict() (the core's JSON
// form, json_dict.hpp). States are their wire strings, as for VmInfo.
#include <string>

#include <pybind11/stl.h>

#include "bind.hpp"
#include "json_dict.hpp"
#include "pyro/workspace.hpp"
#include "result_text.hpp"

namespace py = pybind11;

namespace pyro::python {

void register_workspace_types(py::module_& m) {
  py::class_<WorkspaceInfo>(m, "WorkspaceInfo", "A snapshot of one workspace's description and state.")
      .def_readonly("workspace_id", &WorkspaceInfo::workspace_id, "\"ws-\" + 12 hex digits")
      .def_readonly("name", &WorkspaceInfo::name, "\"\" when unnamed")
      .def_readonly("environment", &WorkspaceInfo::environment)
      .def_property_readonly("state", [](const WorkspaceInfo& w) { return workspace_state_name(w.state); },
                             "\"stopped\", \"running\" or \"crashed\"")
      .def_readonly("vcpu_count", &WorkspaceInfo::vcpu_count)
      .def_readonly("mem_mib", &WorkspaceInfo::mem_mib)
      .def_readonly("disk_mib", &WorkspaceInfo::disk_mib, "size of the /workspace disk")
      .def_readonly("network", &WorkspaceInfo::network, "network_policy is not \"off\"")
      .def_property_readonly("network_policy", [](const WorkspaceInfo& w) { return network_policy_name(w.network_policy); },
                             "\"off\", \"egress\" or \"egress+published-ports\"")
      .def_readonly("secret_names", &WorkspaceInfo::secret_names, "names of the workspace's secrets (never values)")
      .def_property_readonly("labels", [](const WorkspaceInfo& w) { return py::dict(py::cast(w.labels)); },
                             "a new dict on each access")
      .def_readonly("created_at", &WorkspaceInfo::created_at, "RFC 3339, UTC")
      .def_readonly("updated_at", &WorkspaceInfo::updated_at, "RFC 3339, UTC")
      .def_readonly("accelerator", &WorkspaceInfo::accelerator, "while running")
      .def_readonly("pid", &WorkspaceInfo::pid, "VMM process id while running, else 0")
      .def_readonly("boot_ms", &WorkspaceInfo::boot_ms, "last start: VMM start to /workspace mounted")
      .def_readonly("start_mode", &WorkspaceInfo::start_mode, "last start: \"clone\" or \"cold\"")
      .def_readonly("crash_reason", &WorkspaceInfo::crash_reason, "when crashed: what is known")
      .def_readonly("disk_bytes", &WorkspaceInfo::disk_bytes, "host bytes the sparse disk occupies")
      .def_readonly("path", &WorkspaceInfo::path, "the workspace's state directory on the host")
      .def("to_dict", &json_dict<WorkspaceInfo>)
      .def("__repr__", [](const WorkspaceInfo& w) { return repr_of("WorkspaceInfo", json_dict(w)); });

  py::class_<WorkspaceFileEntry>(m, "WorkspaceFileEntry",
                                 "One file, directory or symlink under /workspace (not followed).")
      .def_readonly("path", &WorkspaceFileEntry::path, "relative to /workspace, '/'-separated")
      .def_readonly("type", &WorkspaceFileEntry::type, "\"file\", \"directory\", \"symlink\" or \"other\"")
      .def_readonly("size", &WorkspaceFileEntry::size)
      .def_readonly("mode", &WorkspaceFileEntry::mode, "permission bits")
      .def_readonly("mtime", &WorkspaceFileEntry::mtime, "unix seconds")
      .def_readonly("target", &WorkspaceFileEntry::target, "symlinks only")
      .def("to_dict", &json_dict<WorkspaceFileEntry>)
      .def("__repr__", [](const WorkspaceFileEntry& e) { return repr_of("WorkspaceFileEntry", json_dict(e)); });

  py::class_<WorkspaceFileContent>(m, "WorkspaceFileContent", "Text read from a workspace file.")
      .def_readonly("path", &WorkspaceFileContent::path)
      .def_property_readonly("content", [](const WorkspaceFileContent& c) { return text(c.content); },
                             "the text (UTF-8, invalid bytes replaced)")
      .def_readonly("size", &WorkspaceFileContent::size, "the whole file's size in bytes")
      .def_readonly("truncated", &WorkspaceFileContent::truncated, "content stops at max_bytes")
      .def("to_dict", &json_dict<WorkspaceFileContent>)
      .def("__repr__", [](const WorkspaceFileContent& c) {
        py::dict d = json_dict(c);
        d["content"] = py::len(d["content"]);  // keep the repr one short line
        return repr_of("WorkspaceFileContent", d);
      });

  py::class_<PushResult>(m, "PushResult", "What push_workspace_sync copied.")
      .def_readonly("files", &PushResult::files)
      .def_readonly("directories", &PushResult::directories)
      .def_readonly("symlinks", &PushResult::symlinks)
      .def_readonly("bytes", &PushResult::bytes)
      .def("to_dict", &json_dict<PushResult>)
      .def("__repr__", [](const PushResult& r) { return repr_of("PushResult", json_dict(r)); });

  py::class_<PatchHunkReport>(m, "PatchHunkReport", "How one hunk of a patch matched.")
      .def_readonly("index", &PatchHunkReport::index, "1-based, in patch order")
      .def_readonly("old_start", &PatchHunkReport::old_start, "as written in the hunk header")
      .def_readonly("applied", &PatchHunkReport::applied)
      .def_readonly("offset", &PatchHunkReport::offset, "lines away from old_start where it matched")
      .def_readonly("message", &PatchHunkReport::message, "why it did not match")
      .def("to_dict", &json_dict<PatchHunkReport>)
      .def("__repr__", [](const PatchHunkReport& h) { return repr_of("PatchHunkReport", json_dict(h)); });

  py::class_<PatchFileReport>(m, "PatchFileReport", "The outcome of a patch for one file.")
      .def_readonly("path", &PatchFileReport::path)
      .def_readonly("old_path", &PatchFileReport::old_path, "renames only")
      .def_readonly("action", &PatchFileReport::action, "\"create\", \"modify\", \"delete\" or \"rename\"")
      .def_readonly("ok", &PatchFileReport::ok)
      .def_readonly("message", &PatchFileReport::message)
      .def_readonly("hunks", &PatchFileReport::hunks)
      .def("to_dict", &json_dict<PatchFileReport>)
      .def("__repr__", [](const PatchFileReport& f) {
        py::dict d = json_dict(f);
        d["hunks"] = py::len(d["hunks"]);
        return repr_of("PatchFileReport", d);
      });

  py::class_<PatchResult>(m, "PatchResult",
                          "A patch applies completely or not at all: applied False means nothing changed.")
      .def_readonly("applied", &PatchResult::applied)
      .def_readonly("dry_run", &PatchResult::dry_run)
      .def_readonly("files", &PatchResult::files)
      .def_readonly("summary", &PatchResult::summary, "one line for humans and models")
      .def("to_dict", &json_dict<PatchResult>)
      .def("__repr__", [](const PatchResult& r) {
        py::dict d = json_dict(r);
        d["files"] = py::len(d["files"]);
        return repr_of("PatchResult", d);
      });

  py::class_<WorkspaceDiffEntry>(m, "WorkspaceDiffEntry", "One path that changed since the baseline.")
      .def_readonly("path", &WorkspaceDiffEntry::path)
      .def_readonly("status", &WorkspaceDiffEntry::status,
                    "\"added\", \"modified\", \"deleted\" or \"type_changed\"")
      .def_readonly("type", &WorkspaceDiffEntry::type, "file type now (or before, when deleted)")
      .def_readonly("old_size", &WorkspaceDiffEntry::old_size)
      .def_readonly("new_size", &WorkspaceDiffEntry::new_size)
      .def_readonly("binary", &WorkspaceDiffEntry::binary, "no text diff for this entry")
      .def("to_dict", &json_dict<WorkspaceDiffEntry>)
      .def("__repr__", [](const WorkspaceDiffEntry& e) { return repr_of("WorkspaceDiffEntry", json_dict(e)); });

  py::class_<WorkspaceDiff>(m, "WorkspaceDiff", "Changes under /workspace since the baseline.")
      .def_readonly("entries", &WorkspaceDiff::entries)
      .def_property_readonly("unified", [](const WorkspaceDiff& w) { return text(w.unified); },
                             "`diff -u` text for the text files that changed")
      .def_readonly("added", &WorkspaceDiff::added)
      .def_readonly("modified", &WorkspaceDiff::modified)
      .def_readonly("deleted", &WorkspaceDiff::deleted)
      .def_property_readonly("changed", &WorkspaceDiff::changed, "anything changed")
      .def("to_dict", &json_dict<WorkspaceDiff>)
      .def("__repr__", [](const WorkspaceDiff& w) {
        py::dict d = json_dict(w);
        d["entries"] = py::len(d["entries"]);
        d["unified"] = py::len(d["unified"]);
        return repr_of("WorkspaceDiff", d);
      });

  py::class_<ExportResult>(m, "ExportResult", "What an export wrote on the host.")
      .def_readonly("output_path", &ExportResult::output_path)
      .def_readonly("files", &ExportResult::files)
      .def_readonly("directories", &ExportResult::directories)
      .def_readonly("bytes", &ExportResult::bytes)
      .def("to_dict", &json_dict<ExportResult>)
      .def("__repr__", [](const ExportResult& r) { return repr_of("ExportResult", json_dict(r)); });

  py::class_<WorkspaceSnapshotInfo>(m, "WorkspaceSnapshotInfo", "One saved copy of a /workspace disk.")
      .def_readonly("name", &WorkspaceSnapshotInfo::name)
      .def_readonly("created_at", &WorkspaceSnapshotInfo::created_at, "RFC 3339, UTC")
      .def_readonly("disk_bytes", &WorkspaceSnapshotInfo::disk_bytes)
      .def("to_dict", &json_dict<WorkspaceSnapshotInfo>)
      .def("__repr__", [](const WorkspaceSnapshotInfo& s) { return repr_of("WorkspaceSnapshotInfo", json_dict(s)); });
}

}  // namespace pyro::python

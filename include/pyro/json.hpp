// pyro/json.hpp — the one JSON form of every result type, as text.
//
// It is what Pyro::call returns for the operation's result, what the MCP server
// sends as structuredContent, what `pyro ... --json` prints and what Python's
// to_dict() returns; spec/result_schemas.json describes each. Keys are the C++
// member names, enums their wire names; new keys are only ever added, so readers
// ignore keys they do not know. Invalid UTF-8 in guest output becomes U+FFFD.
#pragma once

#include <string>

#include "pyro/error.hpp"
#include "pyro/export.hpp"
#include "pyro/types.hpp"
#include "pyro/workspace.hpp"

// X-macro of the serialisable types, so the declarations and definitions agree.
#define PYRO_RESULT_TYPES(X)                                                            \
  X(ExecResult) X(VmInfo) X(EnvironmentInfo) X(DoctorReport) X(PruneResult)             \
  X(WorkspaceInfo) X(WorkspaceFileEntry) X(WorkspaceFileContent) X(PushResult)          \
  X(PatchHunkReport) X(PatchFileReport) X(PatchResult) X(WorkspaceDiffEntry)            \
  X(WorkspaceDiff) X(ExportResult) X(WorkspaceSnapshotInfo) X(PublishedPort)            \
  X(ServiceInfo) X(ServiceLogs) X(ShellInfo) X(ShellOutput) X(Error)

namespace pyro {
inline namespace v1 {

#define PYRO_DECLARE_TO_JSON(Type) PYRO_API std::string to_json(const Type& value);
PYRO_RESULT_TYPES(PYRO_DECLARE_TO_JSON)
#undef PYRO_DECLARE_TO_JSON

}  // namespace v1
}  // namespace pyro

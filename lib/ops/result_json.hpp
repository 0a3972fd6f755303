// The JSON form of the public result types: what Pyro::call returns, what the MCP
// server sends as structuredContent, what the CLI prints with --json and what the
// Python to_dict() gives (through pyro/json.hpp), so every surface spells every
// result the same way; spec/result_schemas.json describes it.
// Keys are exactly the C++ member names (pyro/types.hpp, pyro/workspace.hpp);
// enums become their wire names. New keys are only ever added, so readers must
// ignore keys they do not know. Nothing here is specific to one surface.
#pragma once

#include <nlohmann/json.hpp>

#include "pyro/error.hpp"
#include "pyro/types.hpp"
#include "pyro/workspace.hpp"

namespace pyro::ops {

/// Keys in the order the members are declared, so every surface (to_dict, --json,
/// structuredContent) shows a result the way its C++ type reads.
using ResultJson = nlohmann::ordered_json;

// Environments, VMs and the host.
ResultJson json_of(const pyro::ExecResult& result);
ResultJson json_of(const pyro::VmInfo& vm);
ResultJson json_of(const pyro::EnvironmentInfo& env);
ResultJson json_of(const pyro::DoctorReport& report);
ResultJson json_of(const pyro::PruneResult& result);

// Workspaces.
ResultJson json_of(const pyro::WorkspaceInfo& info);
ResultJson json_of(const pyro::WorkspaceFileEntry& entry);
ResultJson json_of(const pyro::WorkspaceFileContent& content);
ResultJson json_of(const pyro::PushResult& result);
ResultJson json_of(const pyro::PatchHunkReport& hunk);
ResultJson json_of(const pyro::PatchFileReport& file);
ResultJson json_of(const pyro::PatchResult& result);
ResultJson json_of(const pyro::WorkspaceDiffEntry& entry);
/// Includes `changed` (the member function) next to the data members.
ResultJson json_of(const pyro::WorkspaceDiff& diff);
ResultJson json_of(const pyro::ExportResult& result);
ResultJson json_of(const pyro::WorkspaceSnapshotInfo& snapshot);

// Services and shells. The OutputChunk of ServiceLogs and ShellOutput is
// flattened into them ({"name", "output", "cursor", "next_cursor", "missed_bytes",
// "more", "service": {...}}), as the Python binding's to_dict() does.
ResultJson json_of(const pyro::PublishedPort& port);
ResultJson json_of(const pyro::ServiceInfo& service);
ResultJson json_of(const pyro::ServiceLogs& logs);
ResultJson json_of(const pyro::ShellInfo& shell);
ResultJson json_of(const pyro::ShellOutput& output);

/// {"code": "<wire name>", "message": "..."}: how a failure is reported as data.
ResultJson json_of(const pyro::Error& error);

/// A JSON array of json_of(item) for every item, in order.
template <typename T>
ResultJson json_array_of(const std::vector<T>& items) {
  ResultJson out = ResultJson::array();
  for (const auto& item : items) out.push_back(json_of(item));
  return out;
}

}  // namespace pyro::ops

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

// Environments, VMs and the host.
nlohmann::json json_of(const pyro::ExecResult& result);
nlohmann::json json_of(const pyro::VmInfo& vm);
nlohmann::json json_of(const pyro::EnvironmentInfo& env);
nlohmann::json json_of(const pyro::DoctorReport& report);
nlohmann::json json_of(const pyro::PruneResult& result);

// Workspaces.
nlohmann::json json_of(const pyro::WorkspaceInfo& info);
nlohmann::json json_of(const pyro::WorkspaceFileEntry& entry);
nlohmann::json json_of(const pyro::WorkspaceFileContent& content);
nlohmann::json json_of(const pyro::PushResult& result);
nlohmann::json json_of(const pyro::PatchHunkReport& hunk);
nlohmann::json json_of(const pyro::PatchFileReport& file);
nlohmann::json json_of(const pyro::PatchResult& result);
nlohmann::json json_of(const pyro::WorkspaceDiffEntry& entry);
/// Includes `changed` (the member function) next to the data members.
nlohmann::json json_of(const pyro::WorkspaceDiff& diff);
nlohmann::json json_of(const pyro::ExportResult& result);
nlohmann::json json_of(const pyro::WorkspaceSnapshotInfo& snapshot);

// Services and shells. The OutputChunk of ServiceLogs and ShellOutput is
// flattened into them ({"name", "output", "cursor", "next_cursor", "missed_bytes",
// "more", "service": {...}}), as the Python binding's to_dict() does.
nlohmann::json json_of(const pyro::PublishedPort& port);
nlohmann::json json_of(const pyro::ServiceInfo& service);
nlohmann::json json_of(const pyro::ServiceLogs& logs);
nlohmann::json json_of(const pyro::ShellInfo& shell);
nlohmann::json json_of(const pyro::ShellOutput& output);

/// {"code": "<wire name>", "message": "..."}: how a failure is reported as data.
nlohmann::json json_of(const pyro::Error& error);

/// A JSON array of json_of(item) for every item, in order.
template <typename T>
nlohmann::json json_array_of(const std::vector<T>& items) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& item : items) out.push_back(json_of(item));
  return out;
}

}  // namespace pyro::ops

// JSON form of the public result types, shared by the CLI (`--json`) and the MCP
// server (structuredContent), so both surfaces spell every result the same way.
// Keys are exactly the C++ member names (pyro/types.hpp, pyro/workspace.hpp);
// enums become their wire names. New keys are only ever added, so readers must
// ignore keys they do not know. Nothing here is specific to one surface.
#pragma once

#include <nlohmann/json.hpp>

#include "pyro/error.hpp"
#include "pyro/types.hpp"
#include "pyro/workspace.hpp"

namespace pyro_json {

// Environments, VMs and the host.
nlohmann::json to_json(const pyro::ExecResult& result);
nlohmann::json to_json(const pyro::VmInfo& vm);
nlohmann::json to_json(const pyro::EnvironmentInfo& env);
nlohmann::json to_json(const pyro::DoctorReport& report);
nlohmann::json to_json(const pyro::PruneResult& result);

// Workspaces.
nlohmann::json to_json(const pyro::WorkspaceInfo& info);
nlohmann::json to_json(const pyro::WorkspaceFileEntry& entry);
nlohmann::json to_json(const pyro::WorkspaceFileContent& content);
nlohmann::json to_json(const pyro::PushResult& result);
nlohmann::json to_json(const pyro::PatchHunkReport& hunk);
nlohmann::json to_json(const pyro::PatchFileReport& file);
nlohmann::json to_json(const pyro::PatchResult& result);
nlohmann::json to_json(const pyro::WorkspaceDiffEntry& entry);
/// Includes `changed` (the member function) next to the data members.
nlohmann::json to_json(const pyro::WorkspaceDiff& diff);
nlohmann::json to_json(const pyro::ExportResult& result);
nlohmann::json to_json(const pyro::WorkspaceSnapshotInfo& snapshot);

// Services and shells. The OutputChunk of ServiceLogs and ShellOutput is
// flattened into them ({"name", "output", "cursor", "next_cursor", "missed_bytes",
// "more", "service": {...}}), as the Python binding's to_dict() does.
nlohmann::json to_json(const pyro::PublishedPort& port);
nlohmann::json to_json(const pyro::ServiceInfo& service);
nlohmann::json to_json(const pyro::ServiceLogs& logs);
nlohmann::json to_json(const pyro::ShellInfo& shell);
nlohmann::json to_json(const pyro::ShellOutput& output);

/// {"code": "<wire name>", "message": "..."}: how a failure is reported as data.
nlohmann::json to_json(const pyro::Error& error);

/// A JSON array of to_json(item) for every item, in order.
template <typename T>
nlohmann::json to_json_array(const std::vector<T>& items) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& item : items) out.push_back(to_json(item));
  return out;
}

}  // namespace pyro_json

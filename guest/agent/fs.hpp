// The workspace methods (since 1.2, docs/agent-protocol.md "Workspace files"):
// each validates its params, works beneath the workspace root and returns its
// result, or throws AgentError.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "connection.hpp"
#include "workspace.hpp"

namespace pyro::agent {

nlohmann::json fs_stat(Workspace& ws, const nlohmann::json& params);
nlohmann::json fs_list(Workspace& ws, const nlohmann::json& params);
nlohmann::json fs_manifest(Workspace& ws, const nlohmann::json& params);

/// Sends the bytes as data frames (channel 1) on `stream` before returning the result.
nlohmann::json fs_read(Workspace& ws, Connection& conn, uint32_t stream, const nlohmann::json& params);

/// Applies a batch of edits, atomically by default (fs_apply.cpp).
nlohmann::json fs_apply(Workspace& ws, const nlohmann::json& params);

/// Mounts the workspace disk (workspace_mount.cpp). Outside a VM (`in_vm` false)
/// it validates and then refuses with `failed_precondition`.
nlohmann::json workspace_mount(Workspace& ws, const nlohmann::json& params, bool in_vm);

/// sync(2): flushes every file system before the host copies the disk. With
/// `readonly` (in a VM only, before it stops) it also ends every other process and
/// remounts the workspace read-only, so the disk is left with a clean journal.
nlohmann::json fs_sync(Workspace& ws, const nlohmann::json& params, bool in_vm);

}  // namespace pyro::agent

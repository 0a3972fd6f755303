#include "workspace/workspace_manager.hpp"

#include "pyro/error.hpp"

namespace pyro::detail {

WorkspaceManager::WorkspaceManager(WorkspaceContext context) : ctx_(std::move(context)) {}

WorkspaceInfo WorkspaceManager::create_workspace(const std::string& environment, const WorkspaceOptions& options) {
  throw Error(ErrorCode::kUnimplemented, "create_workspace: not implemented yet");
}

std::vector<WorkspaceInfo> WorkspaceManager::list_workspaces() {
  throw Error(ErrorCode::kUnimplemented, "list_workspaces: not implemented yet");
}

WorkspaceInfo WorkspaceManager::status_workspace(const std::string& workspace) {
  throw Error(ErrorCode::kUnimplemented, "status_workspace: not implemented yet");
}

WorkspaceInfo WorkspaceManager::update_workspace(const std::string& workspace, const WorkspaceUpdate& update) {
  throw Error(ErrorCode::kUnimplemented, "update_workspace: not implemented yet");
}

void WorkspaceManager::delete_workspace(const std::string& workspace) {
  throw Error(ErrorCode::kUnimplemented, "delete_workspace: not implemented yet");
}

ExecResult WorkspaceManager::exec_workspace(const std::string& workspace, const std::string& command, const ExecOptions& exec) {
  throw Error(ErrorCode::kUnimplemented, "exec_workspace: not implemented yet");
}

PushResult WorkspaceManager::push_workspace_sync(const std::string& workspace, const std::string& source_path, const PushOptions& options) {
  throw Error(ErrorCode::kUnimplemented, "push_workspace_sync: not implemented yet");
}

std::vector<WorkspaceFileEntry> WorkspaceManager::list_workspace_files(const std::string& workspace, const std::string& path, bool recursive) {
  throw Error(ErrorCode::kUnimplemented, "list_workspace_files: not implemented yet");
}

WorkspaceFileContent WorkspaceManager::read_workspace_file(const std::string& workspace, const std::string& path, uint64_t max_bytes) {
  throw Error(ErrorCode::kUnimplemented, "read_workspace_file: not implemented yet");
}

WorkspaceFileEntry WorkspaceManager::write_workspace_file(const std::string& workspace, const std::string& path, const std::string& text) {
  throw Error(ErrorCode::kUnimplemented, "write_workspace_file: not implemented yet");
}

PatchResult WorkspaceManager::apply_workspace_patch(const std::string& workspace, const std::string& patch, const PatchOptions& options) {
  throw Error(ErrorCode::kUnimplemented, "apply_workspace_patch: not implemented yet");
}

WorkspaceDiff WorkspaceManager::diff_workspace(const std::string& workspace) {
  throw Error(ErrorCode::kUnimplemented, "diff_workspace: not implemented yet");
}

ExportResult WorkspaceManager::export_workspace(const std::string& workspace, const std::string& path, const std::string& output_path) {
  throw Error(ErrorCode::kUnimplemented, "export_workspace: not implemented yet");
}

WorkspaceSnapshotInfo WorkspaceManager::create_snapshot(const std::string& workspace, const std::string& name) {
  throw Error(ErrorCode::kUnimplemented, "create_snapshot: not implemented yet");
}

std::vector<WorkspaceSnapshotInfo> WorkspaceManager::list_snapshots(const std::string& workspace) {
  throw Error(ErrorCode::kUnimplemented, "list_snapshots: not implemented yet");
}

void WorkspaceManager::delete_snapshot(const std::string& workspace, const std::string& name) {
  throw Error(ErrorCode::kUnimplemented, "delete_snapshot: not implemented yet");
}

WorkspaceInfo WorkspaceManager::reset_workspace(const std::string& workspace, const std::string& snapshot) {
  throw Error(ErrorCode::kUnimplemented, "reset_workspace: not implemented yet");
}

WorkspaceInfo WorkspaceManager::stop_workspace(const std::string& workspace) {
  throw Error(ErrorCode::kUnimplemented, "stop_workspace: not implemented yet");
}

WorkspaceInfo WorkspaceManager::start_workspace(const std::string& workspace) {
  throw Error(ErrorCode::kUnimplemented, "start_workspace: not implemented yet");
}

std::vector<WorkspaceFileEntry> WorkspaceManager::list_workspace_disk(const std::string& workspace, const std::string& path, bool recursive) {
  throw Error(ErrorCode::kUnimplemented, "list_workspace_disk: not implemented yet");
}

WorkspaceFileContent WorkspaceManager::read_workspace_disk(const std::string& workspace, const std::string& path, uint64_t max_bytes) {
  throw Error(ErrorCode::kUnimplemented, "read_workspace_disk: not implemented yet");
}

ExportResult WorkspaceManager::export_workspace_disk(const std::string& workspace, const std::string& output_path) {
  throw Error(ErrorCode::kUnimplemented, "export_workspace_disk: not implemented yet");
}

}  // namespace pyro::detail

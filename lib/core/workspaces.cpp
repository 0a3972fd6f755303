// class Pyro: workspace operations (pyro/workspace.hpp). Each forwards to the
// WorkspaceManager of the client (lib/workspace/workspace_manager.hpp).
#include "core/client_impl.hpp"
#include "workspace/workspace_manager.hpp"

namespace pyro {
inline namespace v1 {

WorkspaceInfo Pyro::create_workspace(const std::string& environment, const WorkspaceOptions& options) {
  return impl_->workspaces().create_workspace(environment, options);
}

std::vector<WorkspaceInfo> Pyro::list_workspaces() {
  return impl_->workspaces().list_workspaces();
}

WorkspaceInfo Pyro::status_workspace(const std::string& workspace) {
  return impl_->workspaces().status_workspace(workspace);
}

WorkspaceInfo Pyro::update_workspace(const std::string& workspace, const WorkspaceUpdate& update) {
  return impl_->workspaces().update_workspace(workspace, update);
}

void Pyro::delete_workspace(const std::string& workspace) {
  impl_->workspaces().delete_workspace(workspace);
}

ExecResult Pyro::exec_workspace(const std::string& workspace, const std::string& command, const ExecOptions& exec) {
  return impl_->workspaces().exec_workspace(workspace, command, exec);
}

PushResult Pyro::push_workspace_sync(const std::string& workspace, const std::string& source_path, const PushOptions& options) {
  return impl_->workspaces().push_workspace_sync(workspace, source_path, options);
}

std::vector<WorkspaceFileEntry> Pyro::list_workspace_files(const std::string& workspace, const std::string& path, bool recursive) {
  return impl_->workspaces().list_workspace_files(workspace, path, recursive);
}

WorkspaceFileContent Pyro::read_workspace_file(const std::string& workspace, const std::string& path, uint64_t max_bytes) {
  return impl_->workspaces().read_workspace_file(workspace, path, max_bytes);
}

WorkspaceFileEntry Pyro::write_workspace_file(const std::string& workspace, const std::string& path, const std::string& text) {
  return impl_->workspaces().write_workspace_file(workspace, path, text);
}

PatchResult Pyro::apply_workspace_patch(const std::string& workspace, const std::string& patch, const PatchOptions& options) {
  return impl_->workspaces().apply_workspace_patch(workspace, patch, options);
}

WorkspaceDiff Pyro::diff_workspace(const std::string& workspace) {
  return impl_->workspaces().diff_workspace(workspace);
}

ExportResult Pyro::export_workspace(const std::string& workspace, const std::string& path, const std::string& output_path) {
  return impl_->workspaces().export_workspace(workspace, path, output_path);
}

WorkspaceSnapshotInfo Pyro::create_snapshot(const std::string& workspace, const std::string& name) {
  return impl_->workspaces().create_snapshot(workspace, name);
}

std::vector<WorkspaceSnapshotInfo> Pyro::list_snapshots(const std::string& workspace) {
  return impl_->workspaces().list_snapshots(workspace);
}

void Pyro::delete_snapshot(const std::string& workspace, const std::string& name) {
  impl_->workspaces().delete_snapshot(workspace, name);
}

WorkspaceInfo Pyro::reset_workspace(const std::string& workspace, const std::string& snapshot) {
  return impl_->workspaces().reset_workspace(workspace, snapshot);
}

WorkspaceInfo Pyro::stop_workspace(const std::string& workspace) {
  return impl_->workspaces().stop_workspace(workspace);
}

WorkspaceInfo Pyro::start_workspace(const std::string& workspace) {
  return impl_->workspaces().start_workspace(workspace);
}

std::vector<WorkspaceFileEntry> Pyro::list_workspace_disk(const std::string& workspace, const std::string& path, bool recursive) {
  return impl_->workspaces().list_workspace_disk(workspace, path, recursive);
}

WorkspaceFileContent Pyro::read_workspace_disk(const std::string& workspace, const std::string& path, uint64_t max_bytes) {
  return impl_->workspaces().read_workspace_disk(workspace, path, max_bytes);
}

ExportResult Pyro::export_workspace_disk(const std::string& workspace, const std::string& output_path) {
  return impl_->workspaces().export_workspace_disk(workspace, output_path);
}

}  // namespace v1
}  // namespace pyro

// WorkspaceManager: every workspace operation of pyro::Pyro (docs/workspaces.md).
// Workspaces persist under <home>/workspaces/<id>/ and belong to no process: each
// operation takes the workspace's file lock, so threads and processes serialise
// per workspace, and reads its state from disk (workspace_store.hpp).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "backend/backend.hpp"
#include "pyro/error.hpp"
#include "pyro/types.hpp"
#include "pyro/workspace.hpp"
#include "workspace/redaction.hpp"
#include "workspace/workspace_store.hpp"

namespace pyro::detail {

/// What the manager needs from its client: the VMM, the environments and the
/// accelerator choice (shared with ephemeral VMs).
struct WorkspaceContext {
  std::string home;
  Backend* backend = nullptr;
  std::function<BootSet(const std::string& environment)> resolve_environment;
  std::function<Accelerator(const BootSet& boot)> accelerator;
  std::chrono::milliseconds boot_timeout{30000};
  bool snapshots = true;
};

class WorkspaceManager {
 public:
  explicit WorkspaceManager(WorkspaceContext context);

  WorkspaceInfo create_workspace(const std::string& environment, const WorkspaceOptions& options = {});
  std::vector<WorkspaceInfo> list_workspaces();
  WorkspaceInfo status_workspace(const std::string& workspace);
  WorkspaceInfo update_workspace(const std::string& workspace, const WorkspaceUpdate& update);
  void delete_workspace(const std::string& workspace);
  ExecResult exec_workspace(const std::string& workspace, const std::string& command, const ExecOptions& exec = {});
  PushResult push_workspace_sync(const std::string& workspace, const std::string& source_path, const PushOptions& options = {});
  std::vector<WorkspaceFileEntry> list_workspace_files(const std::string& workspace, const std::string& path = "", bool recursive = false);
  WorkspaceFileContent read_workspace_file(const std::string& workspace, const std::string& path, uint64_t max_bytes = WorkspaceLimits::kDefaultReadBytes);
  WorkspaceFileEntry write_workspace_file(const std::string& workspace, const std::string& path, const std::string& text);
  PatchResult apply_workspace_patch(const std::string& workspace, const std::string& patch, const PatchOptions& options = {});
  WorkspaceDiff diff_workspace(const std::string& workspace);
  ExportResult export_workspace(const std::string& workspace, const std::string& path, const std::string& output_path);
  WorkspaceSnapshotInfo create_snapshot(const std::string& workspace, const std::string& name);
  std::vector<WorkspaceSnapshotInfo> list_snapshots(const std::string& workspace);
  void delete_snapshot(const std::string& workspace, const std::string& name);
  WorkspaceInfo reset_workspace(const std::string& workspace, const std::string& snapshot = "");
  WorkspaceInfo stop_workspace(const std::string& workspace);
  WorkspaceInfo start_workspace(const std::string& workspace);
  std::vector<WorkspaceFileEntry> list_workspace_disk(const std::string& workspace, const std::string& path = "", bool recursive = false);
  WorkspaceFileContent read_workspace_disk(const std::string& workspace, const std::string& path, uint64_t max_bytes = WorkspaceLimits::kDefaultReadBytes);
  ExportResult export_workspace_disk(const std::string& workspace, const std::string& output_path);

  // Services (workspace_services.cpp) and shells (workspace_shells.cpp).
  ServiceInfo start_service(const std::string& workspace, const std::string& name, const std::string& command,
                            const ServiceOptions& options = {});
  std::vector<ServiceInfo> list_services(const std::string& workspace);
  ServiceInfo status_service(const std::string& workspace, const std::string& name);
  ServiceLogs logs_service(const std::string& workspace, const std::string& name, const OutputReadOptions& options = {});
  ServiceInfo stop_service(const std::string& workspace, const std::string& name, const ServiceStopOptions& options = {});
  ShellInfo open_shell(const std::string& workspace, const ShellOptions& options = {});
  ShellInfo write_shell(const std::string& workspace, const std::string& shell_id, const std::string& input);
  ShellOutput read_shell(const std::string& workspace, const std::string& shell_id, const OutputReadOptions& options = {});
  ShellInfo resize_shell(const std::string& workspace, const std::string& shell_id, uint32_t cols, uint32_t rows);
  ShellInfo signal_shell(const std::string& workspace, const std::string& shell_id, const std::string& signal);
  void close_shell(const std::string& workspace, const std::string& shell_id);

 private:
  class Session;
  WorkspaceInfo info_of(const WorkspaceRecord& record) const;
  /// Copies the disk of a workspace to `to` consistently (paused guest when running).
  void copy_disk(Session& session, const std::string& to);
  void require_stopped(Session& session, const char* action);
  /// kInvalidArgument unless 1 <= max_bytes <= WorkspaceLimits::kMaxFileReadBytes.
  static void check_max_bytes(uint64_t max_bytes);

  // Services and shells (workspace_services.cpp, workspace_shells.cpp).
  /// Hides the values of the workspace's secrets (read from its secrets/ directory).
  Redactor redactor_of(const WorkspaceRecord& record) const;
  /// `env` with the `secret_env` values of the workspace merged in.
  std::map<std::string, std::string> process_env(const WorkspaceRecord& record,
                                                 const std::map<std::string, std::string>& env,
                                                 const std::map<std::string, std::string>& secret_env) const;
  /// Reads output with `method` (service_logs, shell_read) for `target` ({"name"} or
  /// {"shell_id"}). A wait runs in slices, each with its own session, so other
  /// operations on the workspace get the lock in between. `finish` sees the last
  /// reply while the session is held. `tail`: cursor -1 means the last tail lines.
  OutputChunk read_output(const std::string& workspace, const char* method, const nlohmann::json& target,
                          const OutputReadOptions& options, bool tail, const std::string& what,
                          const std::function<void(Session&, const nlohmann::json&)>& finish);
  /// Fills in published_ports from run/ports.json, and removes the forwards of
  /// services that ended for good.
  void attach_ports(Session& session, std::vector<ServiceInfo>& services);
  void remove_forwards(Session& session, const std::vector<PublishedPort>& ports) noexcept;

  // start_service's steps (workspace_services.cpp); ServiceStart carries what they share.
  struct ServiceStart;
  /// Forwards of an earlier, ended service of that name go; kAlreadyExists while it runs.
  void retire_earlier_service(Session& session, ServiceStart& start);
  /// Adds the forwards (start.added grows with each) and records them in run/ports.json.
  void add_service_forwards(Session& session, ServiceStart& start);
  /// Takes away the forwards this start added. `holding_first_lock`: still in the session
  /// that added them, so they are ours even when not yet recorded; later, only when the
  /// table still lists them (else stop_service or a newer start took them over).
  void drop_service_forwards(Session& session, const ServiceStart& start, bool holding_first_lock) noexcept;
  /// `e` with the service's last log lines appended (why it never became ready).
  Error with_service_log_tail(Session& session, const ServiceStart& start, const Error& e);
  /// Polls, a short session per look, until the agent decides on readiness.
  ServiceInfo await_service_ready(ServiceStart& start);

  WorkspaceContext ctx_;
  WorkspaceStore store_;
};

}  // namespace pyro::detail

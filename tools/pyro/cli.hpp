// Shared declarations of the pyro CLI: exit codes, the usage error, global
// options and one entry point per verb (each defined in its cmd_*.cpp).
#pragma once

#include <span>
#include <stdexcept>
#include <string>

#include "pyro/client.hpp"

namespace pyro_cli {

/// Exit statuses of the CLI itself; `pyro run` otherwise returns the guest's
/// exit code. Documented in docs/cli.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitCheckFailed = 1;  ///< `pyro doctor` found a problem
inline constexpr int kExitUsage = 64;       ///< bad flags or arguments (EX_USAGE)
inline constexpr int kExitPyroError = 125;  ///< pyro itself failed, as in `docker run`

/// A malformed command line. `command` is the verb path ("run", "env list", or
/// empty for the top level), used to point at the right `--help`.
class UsageError : public std::runtime_error {
 public:
  UsageError(std::string command, const std::string& message)
      : std::runtime_error(message), command_(std::move(command)) {}
  const std::string& command() const noexcept { return command_; }

 private:
  std::string command_;
};

/// Flags given before the verb.
struct GlobalOptions {
  pyro::ClientOptions client;
  int verbosity = 0;  ///< number of -v
};

using Args = std::span<const std::string>;

// One entry point per verb; `args` are the words after the verb. Each returns
// the process exit status and throws UsageError or pyro::Error.
int cmd_run_in_vm(const GlobalOptions& global, Args args);
int cmd_doctor(const GlobalOptions& global, Args args);
int cmd_list_environments(const GlobalOptions& global, Args args);
int cmd_pull_environment(const GlobalOptions& global, Args args);
int cmd_inspect_environment(const GlobalOptions& global, Args args);
int cmd_prune_environments(const GlobalOptions& global, Args args);
int cmd_import_environment(const GlobalOptions& global, Args args);
int cmd_version(const GlobalOptions& global, Args args);

// `pyro workspace ...` (cmd_workspace.cpp routes to the cmd_workspace_*.cpp verbs).
int dispatch_workspace(const GlobalOptions& global, Args args);
int cmd_create_workspace(const GlobalOptions& global, Args args);
int cmd_list_workspaces(const GlobalOptions& global, Args args);
int cmd_status_workspace(const GlobalOptions& global, Args args);
int cmd_update_workspace(const GlobalOptions& global, Args args);
int cmd_delete_workspace(const GlobalOptions& global, Args args);
int cmd_exec_workspace(const GlobalOptions& global, Args args);
int cmd_push_workspace_sync(const GlobalOptions& global, Args args);
int cmd_list_workspace_files(const GlobalOptions& global, Args args);
int cmd_read_workspace_file(const GlobalOptions& global, Args args);
int cmd_write_workspace_file(const GlobalOptions& global, Args args);
int cmd_apply_workspace_patch(const GlobalOptions& global, Args args);
int cmd_diff_workspace(const GlobalOptions& global, Args args);
int cmd_export_workspace(const GlobalOptions& global, Args args);
int cmd_create_snapshot(const GlobalOptions& global, Args args);
int cmd_list_snapshots(const GlobalOptions& global, Args args);
int cmd_delete_snapshot(const GlobalOptions& global, Args args);
int cmd_reset_workspace(const GlobalOptions& global, Args args);
int cmd_stop_workspace(const GlobalOptions& global, Args args);
int cmd_start_workspace(const GlobalOptions& global, Args args);
int cmd_list_workspace_disk(const GlobalOptions& global, Args args);
int cmd_read_workspace_disk(const GlobalOptions& global, Args args);
int cmd_export_workspace_disk(const GlobalOptions& global, Args args);
int cmd_start_service(const GlobalOptions& global, Args args);
int cmd_list_services(const GlobalOptions& global, Args args);
int cmd_status_service(const GlobalOptions& global, Args args);
int cmd_logs_service(const GlobalOptions& global, Args args);
int cmd_stop_service(const GlobalOptions& global, Args args);
int cmd_open_shell(const GlobalOptions& global, Args args);
int cmd_write_shell(const GlobalOptions& global, Args args);
int cmd_read_shell(const GlobalOptions& global, Args args);
int cmd_resize_shell(const GlobalOptions& global, Args args);
int cmd_signal_shell(const GlobalOptions& global, Args args);
int cmd_close_shell(const GlobalOptions& global, Args args);

}  // namespace pyro_cli

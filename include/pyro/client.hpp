// pyro/client.hpp — class pyro::Pyro, the entry point of the SDK.
//
// One-shot use:
//
//   pyro::Pyro client;
//   pyro::ExecResult r = client.run_in_vm("busybox", "echo hello");
//   // r.exit_code == 0, r.stdout_data == "hello\n"
//
// Explicit lifecycle, when the caller wants to inspect the VM before its one exec:
//
//   auto vm = client.create_vm("busybox");
//   client.start_vm(vm.vm_id);
//   auto r = client.exec_vm(vm.vm_id, "uname -r");   // deletes the VM afterwards
//
// VMs created here belong to this Pyro object: its destructor stops every one of
// them, and their VMM processes die with the process that created them.
// All methods are thread-safe; operations on different VMs run concurrently.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pyro/export.hpp"
#include "pyro/log.hpp"
#include "pyro/operations.hpp"
#include "pyro/types.hpp"
#include "pyro/workspace.hpp"

namespace pyro {
inline namespace v1 {

struct ClientOptions {
  /// Cache and state directory. Empty: $PYRO_HOME, else $XDG_CACHE_HOME/pyro,
  /// else ~/.cache/pyro.
  std::string home;
  /// "auto" (probe: KVM when a test boot works, else TCG), "kvm" or "tcg".
  /// Empty: $PYRO_ACCEL, else "auto".
  std::string accelerator;
  /// The VMM binary. Empty: $PYRO_QEMU, else qemu-system-x86_64 from PATH.
  std::string qemu_binary;
  /// Deadline for one boot, from VMM start to the agent's hello; one retry follows.
  double boot_timeout_seconds = 30;
  // Since 0.2:
  /// Where the guest agent and the environment build scripts live. Empty:
  /// $PYRO_GUEST_DIR, else found next to the library, else the build tree.
  std::string guest_dir;
  /// Pull a catalog environment on first use instead of failing with kNotFound.
  bool auto_pull = false;
  /// Start VMs by restoring a copy-on-write clone of a snapshot of a booted VM
  /// (taken on first use of an environment and VM shape). Empty: $PYRO_SNAPSHOTS
  /// ("0" disables), else on.
  std::string snapshots;
  // Since 0.3:
  /// How each VMM is confined (docs/jail.md): "strict" (a layer this host cannot
  /// provide fails the start), "best-effort" (it is skipped with a warning) or "off".
  /// Empty: $PYRO_JAIL, else "best-effort".
  std::string jail;
};

class PYRO_API Pyro {
 public:
  /// Opens a client. Cheap: nothing is booted or probed until first needed.
  /// Throws Error(kInvalidArgument) on a malformed option.
  explicit Pyro(ClientOptions options = {});
  ~Pyro();  ///< stops and deletes every VM this client still owns
  Pyro(const Pyro&) = delete;
  Pyro& operator=(const Pyro&) = delete;

  /// Boots a fresh VM of `environment`, runs `command` with /bin/sh -c, deletes
  /// the VM, and returns the result. Errors: kInvalidArgument (sizes, timeout),
  /// kNotFound (environment), kUnavailable (no usable accelerator or VMM),
  /// kDeadlineExceeded (boot), kVmCrashed.
  ExecResult run_in_vm(const std::string& environment, const std::string& command,
                       const VmOptions& vm = {}, const ExecOptions& exec = {});

  /// Registers a VM without booting it. Errors: kInvalidArgument, kNotFound.
  VmInfo create_vm(const std::string& environment, const VmOptions& vm = {});

  /// Boots a created VM and waits for its agent. Errors: kNotFound (id),
  /// kFailedPrecondition (not in state created), kUnavailable, kDeadlineExceeded.
  VmInfo start_vm(const std::string& vm_id);

  /// Runs one command in a VM, then deletes the VM (whatever the outcome).
  /// Starts the VM first if it is only created. Errors: kNotFound, kInvalidArgument,
  /// kDeadlineExceeded (the agent did not answer in time), kVmCrashed.
  ExecResult exec_vm(const std::string& vm_id, const std::string& command,
                     const ExecOptions& exec = {});

  /// Current state of one VM. Errors: kNotFound.
  VmInfo status_vm(const std::string& vm_id);

  /// Every VM this client owns, oldest first.
  std::vector<VmInfo> list_vms();

  /// Stops (if running) and forgets a VM. Errors: kNotFound.
  void delete_vm(const std::string& vm_id);

  /// Environments known to the catalog (installed or not) and imported ones.
  std::vector<EnvironmentInfo> list_environments();

  /// Builds a catalog environment into the cache (Debian images with mmdebstrap),
  /// or does nothing when the cached one is current. Safe against concurrent pulls
  /// from other processes; an interrupted pull leaves nothing half-built.
  /// Errors: kNotFound (not in the catalog), kUnavailable (build tools, network).
  EnvironmentInfo pull_environment(const std::string& name, const PullOptions& options = {});

  /// Describes one environment. Errors: kNotFound.
  EnvironmentInfo inspect_environment(const std::string& name);

  /// Removes stale cache entries (old builds, unreferenced snapshot templates,
  /// downloads), and with `all` every environment.
  PruneResult prune_environments(const PruneOptions& options = {});

  /// Imports an OCI image layout (directory or tarball) or a `docker save` tarball
  /// as environment `name`. Errors: kInvalidArgument (unsafe or malformed archive,
  /// bad name), kAlreadyExists (without force; catalog names are reserved),
  /// kNotFound (source missing).
  EnvironmentInfo import_environment(const std::string& name, const std::string& source,
                                     const ImportOptions& options = {});

  /// Checks the host: VMM, accelerator (probing it), kernel, cache. Never throws
  /// for a failed check; the report says what is unusable and why.
  DoctorReport doctor();


  // ---- Workspaces (pyro/workspace.hpp). `workspace` is an id or a name. Unlike VMs,
  // workspaces belong to no client: they persist under home() until deleted, and
  // any process may drive them. Operations on one workspace are serialised across
  // threads and processes; different workspaces run concurrently.

  /// Creates a workspace whose /workspace holds the seed (the baseline), and starts it.
  /// Errors: kInvalidArgument (options, unsafe seed archive), kNotFound (environment,
  /// seed), kAlreadyExists (name), kResourceExhausted (seed larger than the disk),
  /// plus the start errors of run_in_vm. Nothing is left behind on failure.
  WorkspaceInfo create_workspace(const std::string& environment, const WorkspaceOptions& options = {});

  /// Every workspace under home(), oldest first; notices VMMs that died (state crashed).
  std::vector<WorkspaceInfo> list_workspaces();

  /// One workspace. Errors: kNotFound.
  WorkspaceInfo status_workspace(const std::string& workspace);

  /// Renames or relabels. Errors: kNotFound, kInvalidArgument, kAlreadyExists (name).
  WorkspaceInfo update_workspace(const std::string& workspace, const WorkspaceUpdate& update);

  /// Stops the VM and removes the workspace with its disk and snapshots. Errors: kNotFound.
  void delete_workspace(const std::string& workspace);

  /// Runs one shell command in the running workspace; state persists between calls.
  /// `exec.cwd` empty means /workspace. Errors: kNotFound, kFailedPrecondition (not
  /// running), kInvalidArgument, kDeadlineExceeded, kVmCrashed.
  ExecResult exec_workspace(const std::string& workspace, const std::string& command,
                            const ExecOptions& exec = {});

  /// Copies a host directory or archive into the running workspace (files are
  /// replaced one by one, each atomically; nothing is deleted). Errors: kNotFound,
  /// kInvalidArgument, kFailedPrecondition.
  PushResult push_workspace_sync(const std::string& workspace, const std::string& source_path,
                                 const PushOptions& options = {});

  /// Lists a directory (or one file) under /workspace. Errors: kNotFound, kInvalidArgument.
  std::vector<WorkspaceFileEntry> list_workspace_files(const std::string& workspace,
                                                       const std::string& path = "",
                                                       bool recursive = false);

  /// Reads a text file, at most `max_bytes` (<= WorkspaceLimits::kMaxFileReadBytes).
  /// Errors: kNotFound, kInvalidArgument (path, binary content), kFailedPrecondition.
  WorkspaceFileContent read_workspace_file(const std::string& workspace, const std::string& path,
                                           uint64_t max_bytes = WorkspaceLimits::kDefaultReadBytes);

  /// Creates or replaces a text file atomically (parents created). Errors:
  /// kInvalidArgument (path, not UTF-8, too large), kFailedPrecondition.
  WorkspaceFileEntry write_workspace_file(const std::string& workspace, const std::string& path,
                                          const std::string& text);

  /// Applies a unified diff atomically: every hunk of every file, or nothing. A hunk
  /// that does not match is a result (applied false, with the report), not an error.
  /// Errors: kInvalidArgument (malformed patch, path rules), kFailedPrecondition.
  PatchResult apply_workspace_patch(const std::string& workspace, const std::string& patch,
                                    const PatchOptions& options = {});

  /// Changes under /workspace since the baseline. Works running or stopped.
  WorkspaceDiff diff_workspace(const std::string& workspace);

  /// Copies one file or a directory tree from /workspace to a new host path.
  /// Errors: kNotFound, kAlreadyExists (output_path exists), kInvalidArgument.
  ExportResult export_workspace(const std::string& workspace, const std::string& path,
                                const std::string& output_path);

  /// Saves the /workspace disk under `name` (the VM keeps running). Errors:
  /// kAlreadyExists, kInvalidArgument (name), kNotFound.
  WorkspaceSnapshotInfo create_snapshot(const std::string& workspace, const std::string& name);
  std::vector<WorkspaceSnapshotInfo> list_snapshots(const std::string& workspace);
  void delete_snapshot(const std::string& workspace, const std::string& name);

  /// Restarts the workspace with /workspace as it was at the baseline (snapshot
  /// empty) or at a snapshot. Processes in the VM are ended. Errors: kNotFound.
  WorkspaceInfo reset_workspace(const std::string& workspace, const std::string& snapshot = "");

  /// Shuts the VM down; /workspace stays on disk. Idempotent.
  WorkspaceInfo stop_workspace(const std::string& workspace);

  /// Boots a stopped or crashed workspace from its disk. Idempotent when running.
  WorkspaceInfo start_workspace(const std::string& workspace);

  /// Offline inspection of a stopped workspace's disk, without starting it: a
  /// throwaway VM mounts a copy-on-write overlay of the disk and answers as the live
  /// file operations do (the disk is never written, nor parsed on the host). Errors:
  /// kFailedPrecondition (running), kNotFound, kInvalidArgument, kUnavailable (the VM
  /// could not start or mount the disk), kDeadlineExceeded.
  std::vector<WorkspaceFileEntry> list_workspace_disk(const std::string& workspace,
                                                      const std::string& path = "",
                                                      bool recursive = false);
  WorkspaceFileContent read_workspace_disk(const std::string& workspace, const std::string& path,
                                           uint64_t max_bytes = WorkspaceLimits::kDefaultReadBytes);
  /// Copies the raw ext4 image of /workspace to a new host file.
  ExportResult export_workspace_disk(const std::string& workspace, const std::string& output_path);

  // ---- Services: long-running processes supervised by the guest agent. They
  // survive exec calls and end with the workspace (stop, reset, delete).
  // Output paths redact secret values.

  /// Starts `command` (`sh -c`) as service `name` (1-63 of [A-Za-z0-9._-]) and waits
  /// for its readiness check. A name whose service ended may be reused.
  /// Errors: kInvalidArgument, kNotFound (workspace, secret, cwd),
  /// kAlreadyExists (running under that name), kFailedPrecondition (published
  /// ports without egress+published-ports; the process exited before it was
  /// ready), kDeadlineExceeded (not ready in time: the service is stopped, its
  /// state is "failed", and the message ends with its last log lines).
  ServiceInfo start_service(const std::string& workspace, const std::string& name, const std::string& command,
                            const ServiceOptions& options = {});
  std::vector<ServiceInfo> list_services(const std::string& workspace);
  /// Errors: kNotFound.
  ServiceInfo status_service(const std::string& workspace, const std::string& name);
  /// Errors: kNotFound, kInvalidArgument.
  ServiceLogs logs_service(const std::string& workspace, const std::string& name,
                           const OutputReadOptions& options = {});
  /// Signals the process group, SIGKILL after the grace period; removes its
  /// published ports. Idempotent on an ended service. Errors: kNotFound.
  ServiceInfo stop_service(const std::string& workspace, const std::string& name,
                           const ServiceStopOptions& options = {});

  // ---- Shells: interactive PTY sessions; state (cwd, variables) persists between
  // writes. Output is kept in a ring and read from a cursor, so a client that
  // reconnects can replay it. Shells end with the workspace.

  /// Errors: kNotFound (workspace, secret, cwd), kInvalidArgument, kResourceExhausted.
  ShellInfo open_shell(const std::string& workspace, const ShellOptions& options = {});
  /// Writes `input` as typed (add "\n" to run a line). Errors: kNotFound,
  /// kFailedPrecondition (the shell exited).
  ShellInfo write_shell(const std::string& workspace, const std::string& shell_id, const std::string& input);
  ShellOutput read_shell(const std::string& workspace, const std::string& shell_id,
                         const OutputReadOptions& options = {});
  ShellInfo resize_shell(const std::string& workspace, const std::string& shell_id, uint32_t cols, uint32_t rows);
  /// Sends `signal` ("INT", "TERM", "HUP", "QUIT", "KILL", "TSTP", "CONT", "USR1",
  /// "USR2", with or without "SIG") to the shell's foreground process group.
  ShellInfo signal_shell(const std::string& workspace, const std::string& shell_id,
                        const std::string& signal = "INT");
  /// Ends the shell (SIGHUP, then SIGKILL) and forgets its output. Errors: kNotFound.
  void close_shell(const std::string& workspace, const std::string& shell_id);

  // ---- Any operation by name (pyro/operations.hpp), since 0.3.

  /// Runs the table operation `operation` (its name, e.g. "exec_workspace", or its
  /// MCP tool name, e.g. "vm_run") with `arguments_json`, a JSON object of its
  /// parameters ("" or "null" for none), and returns the result's JSON form
  /// (pyro/json.hpp; lists as {"items": [...]}, no result as {}). Arguments are
  /// checked against the table (names, types, ranges, enums) and its defaults
  /// filled in. Errors: kInvalidArgument (unknown operation, malformed JSON, a bad
  /// argument), else those of the operation.
  std::string call(std::string_view operation, std::string_view arguments_json,
                   const CallOptions& options = {});

  /// The resolved cache/state directory.
  const std::string& home() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace v1
}  // namespace pyro

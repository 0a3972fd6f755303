// pyro/workspace.hpp — options and results of the workspace operations of pyro::Pyro.
//
// A workspace is a long-lived VM with a persistent /workspace disk. It lives under
// $PYRO_HOME/workspaces/<id>/ and outlives the process that created it: any other
// process (another CLI call, another interpreter) drives it by id or name.
//
//   auto ws = client.create_workspace("debian:12", {.seed_path = "./project"});
//   client.exec_workspace(ws.workspace_id, "make test");
//   client.write_workspace_file(ws.workspace_id, "notes.txt", "hello\n");
//   auto diff = client.diff_workspace(ws.workspace_id);   // against the seed
//   client.delete_workspace(ws.workspace_id);
//
// Paths name files under /workspace: relative ("src/a.c") or absolute within it
// ("/workspace/src/a.c"). `..` and symlinks leading outside are refused.
// New fields are only ever appended.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pyro/export.hpp"
#include "pyro/types.hpp"

namespace pyro {
inline namespace v1 {

struct WorkspaceLimits {
  static constexpr uint64_t kMinDiskMib = 64;
  static constexpr size_t kMaxSecrets = 64;
  static constexpr uint64_t kMaxSecretBytes = 64 * 1024;     ///< one secret's value
  static constexpr size_t kMaxServices = 32;                  ///< per workspace, ended ones included
  static constexpr size_t kMaxShells = 16;                    ///< open shells per workspace
  static constexpr size_t kMaxPublishedPorts = 16;            ///< per service
  static constexpr uint64_t kOutputRingBytes = 1ull << 20;    ///< kept per service log and per shell
  static constexpr uint64_t kMaxReadBytes = 1ull << 20;       ///< logs_service, read_shell
  static constexpr uint64_t kMaxShellInputBytes = 64 * 1024;  ///< write_shell
  static constexpr double kMaxReadinessTimeoutSeconds = 600;
  static constexpr uint64_t kMaxDiskMib = 1ull << 20;        ///< 1 TiB, sparse
  static constexpr uint64_t kDefaultReadBytes = 64 * 1024;   ///< max_bytes when not given
  static constexpr uint64_t kMaxFileReadBytes = 1ull << 20;  ///< read_workspace_file
  static constexpr uint64_t kMaxFileWriteBytes = 1ull << 20; ///< write_workspace_file
  static constexpr uint64_t kMaxPatchBytes = 4ull << 20;     ///< apply_workspace_patch
};

/// What the workspace's network may do (QEMU user-mode networking; no root, no
/// host changes). Published ports only ever listen on 127.0.0.1.
enum class NetworkPolicy {
  kOff,                   ///< "off": no NIC at all (the default)
  kEgress,                ///< "egress": outbound connections allowed
  kEgressPublishedPorts,  ///< "egress+published-ports": also host ports forwarded to services
};

/// Wire name of a policy ("off", "egress", "egress+published-ports").
PYRO_API const char* network_policy_name(NetworkPolicy policy) noexcept;
/// Parses a wire name. Throws Error(kInvalidArgument) naming the valid ones.
PYRO_API NetworkPolicy network_policy_from_name(std::string_view name);

/// A secret given to create_workspace: exactly one of `value` and `file_path`.
/// Kept on the host in a 0600 file, never written into the guest's disk, a
/// snapshot or an export; a process sees it only through `secret_env`, and every
/// output pyro returns has its value replaced by "[REDACTED]".
struct WorkspaceSecret {
  std::string name;       ///< 1-63 of [A-Za-z0-9._-], starting with a letter or digit
  std::string value;      ///< 1..kMaxSecretBytes bytes, no NUL
  std::string file_path;  ///< or: a host file whose content is the value (read once, at create)
};

struct WorkspaceOptions {
  uint32_t vcpu_count = 1;
  uint32_t mem_mib = 256;
  NetworkPolicy network_policy = NetworkPolicy::kOff;
  std::string seed_path;      ///< host directory or .tar/.tar.gz/.tgz/.zip; empty: start empty
  std::string name;           ///< optional, unique among workspaces; [A-Za-z0-9._-], 1-63 chars
  std::map<std::string, std::string> labels;
  uint64_t disk_mib = 2048;   ///< size of the /workspace disk (sparse on the host)
  std::vector<WorkspaceSecret> secrets;
  ProgressHandler progress;   ///< optional: stages "copy seed", "make disk", "start workspace"
};

enum class WorkspaceState { kStopped, kRunning, kCrashed };

/// Wire name of a state ("stopped", "running", "crashed").
PYRO_API const char* workspace_state_name(WorkspaceState state) noexcept;

struct WorkspaceInfo {
  std::string workspace_id;  ///< "ws-" + 12 hex digits
  std::string name;
  std::string environment;
  WorkspaceState state = WorkspaceState::kStopped;
  uint32_t vcpu_count = 0;
  uint32_t mem_mib = 0;
  uint64_t disk_mib = 0;
  bool network = false;      ///< network_policy is not kOff
  std::map<std::string, std::string> labels;
  std::string created_at;    ///< RFC 3339, UTC
  std::string updated_at;
  std::string accelerator;   ///< while running
  int64_t pid = 0;           ///< VMM process id while running, else 0
  uint64_t boot_ms = 0;      ///< last start: VMM start to /workspace mounted
  std::string start_mode;    ///< last start: "clone" or "cold"
  std::string crash_reason;  ///< state crashed: what is known about the death
  uint64_t disk_bytes = 0;   ///< host bytes the disk occupies (sparse)
  std::string path;          ///< the workspace's state directory on the host
  NetworkPolicy network_policy = NetworkPolicy::kOff;
  std::vector<std::string> secret_names;  ///< names only, sorted; values never leave the host store
};

/// Changes made by update_workspace; unset fields are left alone.
struct WorkspaceUpdate {
  std::optional<std::string> name;  ///< "" removes the name
  std::optional<std::map<std::string, std::string>> labels;  ///< replaces all labels
};

/// One file, directory or symlink under /workspace (lstat semantics).
struct WorkspaceFileEntry {
  std::string path;   ///< relative to /workspace, '/'-separated
  std::string type;   ///< "file", "directory", "symlink" or "other"
  uint64_t size = 0;
  uint32_t mode = 0;  ///< permission bits
  int64_t mtime = 0;  ///< unix seconds
  std::string target; ///< symlinks only
};

struct WorkspaceFileContent {
  std::string path;
  std::string content;     ///< UTF-8 text
  uint64_t size = 0;       ///< the whole file's size
  bool truncated = false;  ///< content stops at max_bytes
};

struct PushOptions {
  std::string dest = "/workspace";  ///< a directory under /workspace, created if missing
};

struct PushResult {
  uint64_t files = 0;
  uint64_t directories = 0;
  uint64_t symlinks = 0;
  uint64_t bytes = 0;
};

struct PatchOptions {
  bool dry_run = false;  ///< check every hunk, change nothing
};

struct PatchHunkReport {
  uint32_t index = 0;      ///< 1-based, in patch order
  uint32_t old_start = 0;  ///< as written in the hunk header
  bool applied = false;    ///< matched (and, unless dry_run and not all matched, applied)
  int32_t offset = 0;      ///< lines away from old_start where it matched
  std::string message;     ///< why it did not match
};

struct PatchFileReport {
  std::string path;
  std::string old_path;  ///< renames only
  std::string action;    ///< "create", "modify", "delete" or "rename"
  bool ok = false;
  std::string message;
  std::vector<PatchHunkReport> hunks;
};

/// A patch applies completely or not at all: `applied` false means nothing changed.
struct PatchResult {
  bool applied = false;
  bool dry_run = false;
  std::vector<PatchFileReport> files;
  std::string summary;  ///< one line for humans and models
};

struct WorkspaceDiffEntry {
  std::string path;
  std::string status;  ///< "added", "modified", "deleted" or "type_changed"
  std::string type;    ///< file type now (or before, when deleted)
  uint64_t old_size = 0;
  uint64_t new_size = 0;
  bool binary = false;  ///< no text diff for this entry
};

/// Changes since the baseline (the seed content).
struct WorkspaceDiff {
  std::vector<WorkspaceDiffEntry> entries;
  std::string unified;  ///< `diff -u` text for the text files that changed
  uint32_t added = 0;
  uint32_t modified = 0;
  uint32_t deleted = 0;
  bool changed() const noexcept { return !entries.empty(); }
};

struct ExportResult {
  std::string output_path;
  uint64_t files = 0;
  uint64_t directories = 0;
  uint64_t bytes = 0;
};

struct WorkspaceSnapshotInfo {
  std::string name;
  std::string created_at;
  uint64_t disk_bytes = 0;
};

// ---- Services (start_service ...) -------------------------------------------

/// When a service counts as started. The guest agent polls the check every
/// `interval_ms` until it passes or `timeout_seconds` run out.
struct ServiceReadiness {
  std::string type;          ///< "" (ready once spawned), "file", "tcp", "http" or "command"
  std::string path;          ///< file: exists (absolute, or relative to the service's cwd)
  uint32_t port = 0;         ///< tcp: 127.0.0.1:port accepts a connection
  std::string url;           ///< http: GET returns 2xx; "http://127.0.0.1:8080/health" (http only, IP or localhost)
  std::string command;       ///< command: `sh -c` exits 0 (each attempt at most 10 s)
  double timeout_seconds = 30;
  uint32_t interval_ms = 200;
};

struct ServiceOptions {
  std::string cwd;                               ///< empty: /workspace
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> secret_env; ///< ENV_VAR -> secret name
  ServiceReadiness readiness;
  std::vector<uint32_t> published_ports;         ///< guest TCP ports; needs egress+published-ports
  std::string restart = "never";                 ///< "never", "on-failure" or "always"
  uint32_t max_restarts = 5;                     ///< then the service stays exited
};

/// A guest port forwarded from 127.0.0.1:host_port on the host.
struct PublishedPort {
  uint32_t guest_port = 0;
  uint32_t host_port = 0;
  std::string host = "127.0.0.1";
};

struct ServiceInfo {
  std::string name;
  std::string command;
  std::string cwd;
  /// "starting", "running", "exited" (ended by itself), "failed" (never became
  /// ready; stopped) or "stopped" (by stop_service)
  std::string state;
  int64_t pid = 0;        ///< guest pid while running
  int exit_code = 0;      ///< last exit: shell-style (128+N for signal N); valid when not starting or
                          ///< running (0 then; the JSON form and Python give null/None)
  int signal = 0;
  uint32_t restarts = 0;
  std::string started_at; ///< RFC 3339, UTC (the guest's clock)
  std::string ended_at;
  std::string readiness;  ///< "" or the readiness type
  bool ready = false;
  std::vector<PublishedPort> published_ports;
};

struct ServiceStopOptions {
  std::string signal = "TERM";  ///< sent to the service's process group first
  double grace_seconds = 5;     ///< then SIGKILL
};

/// Where to read a service log or shell output. Output is kept in a ring of
/// WorkspaceLimits::kOutputRingBytes; cursors are byte offsets since the start.
struct OutputReadOptions {
  int64_t cursor = -1;        ///< >= 0: from this offset; -1: services: the last tail_lines, shells: from 0
  uint32_t tail_lines = 100;  ///< services with cursor -1
  uint64_t max_bytes = WorkspaceLimits::kDefaultReadBytes; ///< 1..WorkspaceLimits::kMaxReadBytes
  double wait_seconds = 0;    ///< wait up to this long for output past the cursor (then a short settle)
};

/// A piece of output with secrets redacted. Pass `next_cursor` to the next read.
struct OutputChunk {
  std::string output;          ///< redacted; bytes as the process wrote them otherwise
  int64_t cursor = 0;          ///< offset of the first byte returned
  int64_t next_cursor = 0;     ///< offset after the last byte returned
  uint64_t missed_bytes = 0;   ///< dropped from the ring before `cursor` was read
  bool more = false;           ///< output past next_cursor is already available
};

struct ServiceLogs {
  std::string name;
  OutputChunk chunk;
  ServiceInfo service;  ///< state at the time of the read
};

// ---- Shells (open_shell ...) ----------------------------------------------------

struct ShellOptions {
  std::string cwd;                               ///< empty: /workspace
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> secret_env; ///< ENV_VAR -> secret name
  uint32_t cols = 120;
  uint32_t rows = 40;
};

struct ShellInfo {
  std::string shell_id;   ///< "sh-" + 8 hex digits
  std::string state;      ///< "running" or "exited"
  int64_t pid = 0;
  int exit_code = 0;      ///< when exited (0 while running; the JSON form and Python give null/None)
  uint32_t cols = 0;
  uint32_t rows = 0;
  std::string cwd;        ///< where it started
  std::string created_at;
};

struct ShellOutput {
  std::string shell_id;
  OutputChunk chunk;
  ShellInfo shell;  ///< state at the time of the read
};

}  // namespace v1
}  // namespace pyro

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

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pyro/export.hpp"

namespace pyro {
inline namespace v1 {

struct WorkspaceLimits {
  static constexpr uint64_t kMinDiskMib = 64;
  static constexpr uint64_t kMaxDiskMib = 1ull << 20;        ///< 1 TiB, sparse
  static constexpr uint64_t kMaxFileReadBytes = 1ull << 20;  ///< read_workspace_file
  static constexpr uint64_t kMaxFileWriteBytes = 1ull << 20; ///< write_workspace_file
  static constexpr uint64_t kMaxPatchBytes = 4ull << 20;     ///< apply_workspace_patch
};

struct WorkspaceOptions {
  uint32_t vcpu_count = 1;
  uint32_t mem_mib = 256;
  bool network = false;       ///< QEMU user-mode networking with egress
  std::string seed_path;      ///< host directory or .tar/.tar.gz/.tgz/.zip; empty: start empty
  std::string name;           ///< optional, unique among workspaces; [A-Za-z0-9._-], 1-63 chars
  std::map<std::string, std::string> labels;
  uint64_t disk_mib = 2048;   ///< size of the /workspace disk (sparse on the host)
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
  bool network = false;
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

}  // namespace v1
}  // namespace pyro

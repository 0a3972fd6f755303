// Where workspaces live on the host, and their state file (docs/workspaces.md):
//
//   <home>/workspaces/<id>/workspace.json   the record below (replaced atomically)
//                         /lock             flock(2): held for every operation
//                         /disk.ext4        the /workspace disk (raw ext4, sparse)
//                         /baseline/        the seed content, never changed
//                         /baseline.ext4    the disk as created, for reset
//                         /snapshots/<name>/{disk.ext4,meta.json}
//                         /run/             sockets, pid file and logs of the VMM
//   <home>/workspaces/.names.lock           held while a name is claimed
//   <home>/workspaces/.tmp-<id>/            a workspace being created
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/backend.hpp"
#include "util/file_lock.hpp"

namespace pyro::detail {

inline constexpr int kWorkspaceFormat = 1;

struct WorkspaceRecord {
  std::string id;
  std::string name;
  std::map<std::string, std::string> labels;
  std::string environment;
  std::string environment_sha256;  ///< of the environment when created
  uint32_t vcpu_count = 1;
  uint32_t mem_mib = 256;
  uint64_t disk_mib = 0;
  std::string network_policy = "off";  ///< wire name of a NetworkPolicy
  std::vector<std::string> secret_names;  ///< sorted; values are in secrets/<name> (0600)
  std::string created_at;
  std::string updated_at;
  std::string state = "stopped";  ///< "running", "stopped" or "crashed"
  MachineRef vmm;                 ///< while running
  std::string accelerator;
  uint64_t boot_ms = 0;
  std::string start_mode;
  std::string crash_reason;
};

void to_json(nlohmann::json& j, const WorkspaceRecord& r);
void from_json(const nlohmann::json& j, WorkspaceRecord& r);

class WorkspaceStore {
 public:
  explicit WorkspaceStore(const std::string& home);

  const std::string& root() const noexcept { return root_; }
  std::string dir(const std::string& id) const { return root_ + "/" + id; }
  std::string disk_path(const std::string& id) const { return dir(id) + "/disk.ext4"; }
  std::string baseline_dir(const std::string& id) const { return dir(id) + "/baseline"; }
  std::string baseline_disk(const std::string& id) const { return dir(id) + "/baseline.ext4"; }
  std::string snapshot_dir(const std::string& id, const std::string& name) const {
    return dir(id) + "/snapshots/" + name;
  }
  std::string run_dir(const std::string& id) const { return dir(id) + "/run"; }

  /// Every complete workspace, by creation time.
  std::vector<WorkspaceRecord> list() const;
  /// The record of `id`, or nothing when there is no such workspace.
  std::optional<WorkspaceRecord> load(const std::string& id) const;
  /// Writes the record of an existing workspace directory atomically.
  void save(const WorkspaceRecord& record) const;
  /// Writes the record into `dir` (a staging directory).
  static void save_to(const std::string& dir, const WorkspaceRecord& record);

  /// The id of the workspace with id or name `id_or_name`. Throws kNotFound.
  std::string resolve(const std::string& id_or_name) const;
  /// True when another workspace than `except_id` has `name`.
  bool name_taken(const std::string& name, const std::string& except_id) const;

  /// The operation lock of one workspace (blocks until held).
  FileLock lock(const std::string& id) const;
  /// Serialises name claims (create, rename) across processes.
  FileLock names_lock() const;

  /// Removes staging directories of creators that died. Never throws.
  void sweep_staging() const noexcept;

 private:
  std::string root_;
};

/// A fresh workspace id: "ws-" followed by 12 random hex digits.
std::string new_workspace_id();

/// Checks a workspace or snapshot name: 1-63 of [A-Za-z0-9._-], starting with a
/// letter or digit, and (for workspaces) not shaped like an id. Throws kInvalidArgument.
void validate_workspace_name(const char* what, const std::string& name, bool allow_id_shape = false);

}  // namespace pyro::detail

// Snapshot templates: the saved state of a booted, idle VM of one environment and
// VM shape, from which new VMs start as copy-on-write clones (docs/snapshots.md).
//
//   <home>/templates/<key>/{ram, state, meta.json}   a complete template
//   <home>/templates/<key>.lock                      held while one is created
//   <home>/templates/<key>.tmp/                      a template being created
//
//   TemplateStore store(home);
//   SnapshotTemplate t = store.ensure(identity, deadline, [&](const std::string& dir) {
//     /* cold boot with RAM in dir + "/ram", save the state to dir + "/state" */ });
//
// This file only manages the files; booting and restoring is Vm's job.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/deadline.hpp"

namespace pyro::detail {

/// Bump when what a template holds changes meaning (device list, kernel command
/// line, agent restore contract), so old templates stop matching.
inline constexpr int kTemplateFormat = 4;

/// Everything a template depends on. The environment's content hash covers the
/// kernel, the initramfs (with the agent) and the root filesystem.
struct TemplateIdentity {
  std::string qemu_version;
  std::string environment;  ///< name, recorded in meta.json only
  std::string environment_sha256;
  std::string accelerator;  ///< "tcg" / "kvm"
  uint32_t vcpu_count = 0;
  uint32_t mem_mib = 0;
  bool network = false;
  /// Size of the writable /workspace disk the template was booted with (workspace
  /// VMs), 0 for none: the guest read the disk's size while booting.
  uint64_t workspace_disk_mib = 0;
  /// template_cpu_signature(): the host CPU under KVM (a guest booted with `-cpu host`
  /// adopted its features), "" under TCG.
  std::string cpu;
};

/// Hex sha256 over kTemplateFormat and every field of `identity` but the name.
std::string template_key(const TemplateIdentity& identity);

/// A complete template on disk.
struct SnapshotTemplate {
  std::string key;
  std::string dir;
  std::string ram_path;
  std::string state_path;
  std::string id;  ///< random per creation: tells a template from its replacement
};

/// Random bytes from getrandom(2) mixed into a clone's kernel RNG.
inline constexpr size_t kCloneSeedBytes = 32;

/// Params of the agent's `restore` for a fresh clone: a random seed (base64), the
/// host's wall clock now, hostname `pyro-<last 8 of vm_id>`, a random machine-id.
nlohmann::json clone_restore_params(const std::string& vm_id);


class TemplateStore {
 public:
  explicit TemplateStore(std::string home);

  /// <home>/templates
  const std::string& root() const noexcept { return root_; }

  /// The complete template for `key`, or nothing.
  std::optional<SnapshotTemplate> find(const std::string& key) const;

  /// The template for `identity`; when missing, creates it by calling `build` with an
  /// empty directory on the same filesystem, which is then renamed into place.
  /// Concurrent callers (threads or processes) wait for the first creator until
  /// `deadline`. Throws what `build` throws, kDeadlineExceeded when the wait runs
  /// out, kInternal/kPermissionDenied for filesystem errors.
  SnapshotTemplate ensure(const TemplateIdentity& identity, Deadline deadline,
                          const std::function<void(const std::string& dir)>& build);

  /// Deletes `tmpl` unless it was already replaced by a newer creation (another id).
  /// Clones running from it keep their mappings. Never throws.
  void remove(const SnapshotTemplate& tmpl) noexcept;

 private:
  std::string lock_path(const std::string& key) const;
  std::string root_;
};

/// Directories under <home>/templates that nothing will use again: templates whose
/// meta.json is unreadable, whose environment hash is not in `live_environment_sha256`,
/// or that another QEMU version made (`qemu_version` empty: any version is fine),
/// plus leftovers of interrupted creations. Templates being created are skipped.
/// For prune_environments; removing them is the caller's job. Never throws.
std::vector<std::string> stale_templates(const std::string& home,
                                         const std::vector<std::string>& live_environment_sha256,
                                         const std::string& qemu_version);

/// Whether a complete template exists for this environment content and VM shape
/// (any QEMU version or accelerator): EnvironmentInfo::snapshot_ready. Never throws.
bool template_ready(const std::string& home, const std::string& environment_sha256,
                    uint32_t vcpu_count, uint32_t mem_mib, bool network);

}  // namespace pyro::detail

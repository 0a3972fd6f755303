// Typed host-side calls of the agent's file methods (fs_stat, fs_list, fs_read,
// fs_manifest, fs_apply; docs/agent-protocol.md). Paths are relative to
// /workspace and already checked with workspace_relative_path; the agent checks
// them again, symlinks included. Every reply is checked (guest_reply.hpp) before
// it is returned: the guest may lie.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/agent_connection.hpp"
#include "workspace/host_tree.hpp"

namespace pyro::detail {

struct AgentFile {
  std::string content;  ///< the first bytes, up to what was asked
  uint64_t size = 0;    ///< the whole file's size
};

TreeEntry agent_stat(AgentConnection& agent, const std::string& path);
/// Nothing when the path does not exist (kNotFound from the agent).
std::optional<TreeEntry> agent_try_stat(AgentConnection& agent, const std::string& path);
std::vector<TreeEntry> agent_list(AgentConnection& agent, const std::string& path, bool recursive);
/// Every entry below `path` with sha256 for files (paths relative to /workspace);
/// files larger than `max_hash_bytes` come without it (the guest need not read them).
std::vector<TreeEntry> agent_manifest(AgentConnection& agent, const std::string& path,
                                      uint64_t max_hash_bytes = UINT64_MAX);
/// Reads up to `max_bytes` from the start of a regular file.
AgentFile agent_read(AgentConnection& agent, const std::string& path, uint64_t max_bytes);
/// Copies a file of (at most) `size` bytes, the size its listing declared, to the
/// open host file `fd` (`local` names it in messages). More data than asked is
/// kAgentProtocol; a file that shrank meanwhile is copied as it is.
void agent_read_to_fd(AgentConnection& agent, const std::string& path, uint64_t size, int fd,
                      const std::string& local);
/// agent_read_to_fd into a new host file `local` (O_EXCL, O_NOFOLLOW) with the
/// permission bits of `mode` (no setuid, setgid or sticky bit).
void agent_read_to_file(AgentConnection& agent, const std::string& path, uint64_t size, const std::string& local,
                        uint32_t mode);

/// A list of fs_apply operations.
class AgentOps {
 public:
  /// `expect`: "" none, "absent", or the sha256 the current file must have.
  void write(const std::string& path, std::string_view data, uint32_t mode, const std::string& expect = "",
             bool append = false);
  void mkdir(const std::string& path, uint32_t mode);
  void remove(const std::string& path, const std::string& expect = "", bool recursive = false);
  void symlink(const std::string& path, const std::string& target);
  void rename(const std::string& from, const std::string& to);

  const nlohmann::json& json() const noexcept { return ops_; }
  size_t payload_bytes() const noexcept { return bytes_; }
  bool empty() const noexcept { return ops_.empty(); }
  void clear() {
    ops_ = nlohmann::json::array();
    bytes_ = 0;
  }

 private:
  nlohmann::json ops_ = nlohmann::json::array();
  size_t bytes_ = 0;
};

/// Makes what was written durable: the host may lose the VMM (kill -9) right
/// after, and the guest's journal would otherwise commit seconds later.
void agent_sync(AgentConnection& agent);

/// Before the VM stops: sync, end the guest's processes and remount the workspace
/// read-only, so the disk's journal is clean (an exported copy needs no recovery).
void agent_sync_final(AgentConnection& agent);

/// Runs `ops` with fs_apply; `atomic`: all or nothing. Throws the agent's error.
void agent_apply(AgentConnection& agent, const AgentOps& ops, bool atomic);

/// Many operations in as few fs_apply calls as the frame size allows (not atomic
/// as a whole; each file is still replaced atomically).
class AgentBatch {
 public:
  explicit AgentBatch(AgentConnection& agent) : agent_(agent) {}
  AgentOps& ops() { return ops_; }
  /// Queues the host file `local` to replace `path`; large files go in chunks to a
  /// temporary name that is renamed at the end.
  void write_file(const std::string& path, const std::string& local, uint32_t mode);
  void flush();

 private:
  void flush_if_full();
  AgentConnection& agent_;
  AgentOps ops_;
};

}  // namespace pyro::detail

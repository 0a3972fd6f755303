// Checks of what the guest agent answers. The guest is hostile (root in the VM, and
// able to answer in the agent's place), so every reply the workspace code consumes
// is checked here against what the host asked for before anything acts on it:
// paths, types, sizes, counts and field types. A reply that breaks a rule throws
// Error(kAgentProtocol, "<what>: <cause>") (docs/agent-protocol.md, "What the host
// accepts").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "workspace/host_tree.hpp"

namespace pyro::detail {

struct GuestReplyLimits {
  static constexpr size_t kMaxPathBytes = 4096;    ///< a whole path (PATH_MAX)
  static constexpr size_t kMaxNameBytes = 255;     ///< one component (NAME_MAX)
  static constexpr size_t kMaxDepth = 256;         ///< components of one path
  static constexpr size_t kMaxTargetBytes = 4095;  ///< a symlink target
  static constexpr size_t kMaxListEntries = 10000;       ///< asked of fs_list
  static constexpr size_t kMaxManifestEntries = 100000;  ///< asked of fs_manifest
  static constexpr uint64_t kMaxFileSize = 1ull << 40;   ///< the largest workspace disk
};

/// Throws kAgentProtocol naming `what` unless `path` is a normalised relative path:
/// not empty, not absolute, no empty, `.` or `..` component, no NUL, within the
/// length, name and depth limits.
void check_reply_path(std::string_view path, std::string_view what);

/// True when `path` lies strictly below `root` ("" is the workspace root).
bool is_below(std::string_view path, std::string_view root);

/// One entry of fs_stat, fs_list or fs_manifest, with strictly typed fields: a known
/// type, permission bits only, a bounded size, a target (bounded, no NUL) exactly
/// for symlinks, and for `manifest` a well-formed lowercase sha256 where a file has one.
TreeEntry checked_entry(const nlohmann::json& j, bool manifest, std::string_view what);

/// The fs_stat result for `asked` ("" is the root, which the agent calls ".").
TreeEntry checked_stat(const nlohmann::json& result, const std::string& asked);

/// The entries of an fs_list (`recursive` or not) or fs_manifest result for `root`:
/// at most `limit`, each below `root` (or `root` itself, alone, when it is not a
/// directory), unique, and in a recursive listing every parent other than `root`
/// present as a directory in the same listing (so never a symlink). Sorted by path.
/// `truncated` receives the result's flag.
std::vector<TreeEntry> checked_listing(const nlohmann::json& result, const std::string& root, bool recursive,
                                       bool manifest, size_t limit, bool& truncated);

/// An fs_read result after `received` data bytes for a request of at most `asked`:
/// `bytes` equals `received`, `size` is bounded.
struct ReadReply {
  uint64_t size = 0;
  uint64_t bytes = 0;
  bool eof = false;
};
ReadReply checked_read(const nlohmann::json& result, uint64_t asked, uint64_t received, std::string_view what);

/// The array `key` of `reply` with at most `max` elements.
const nlohmann::json& checked_array(const nlohmann::json& reply, const char* key, size_t max, std::string_view what);

/// Counts the data bytes of one stream and throws kAgentProtocol as soon as more
/// than `limit` arrived (the agent never sends more than it was asked for).
class DataBudget {
 public:
  DataBudget(uint64_t limit, std::string what) : limit_(limit), what_(std::move(what)) {}
  void take(size_t bytes);
  uint64_t used() const noexcept { return used_; }

 private:
  uint64_t limit_;
  uint64_t used_ = 0;
  std::string what_;
};

}  // namespace pyro::detail

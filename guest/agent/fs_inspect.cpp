// The read-only workspace methods: fs_stat, fs_list, fs_manifest, fs_read.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "agent_error.hpp"
#include "fs.hpp"
#include "fs_params.hpp"
#include "fs_paths.hpp"
#include "fs_tree.hpp"
#include "protocol/message.hpp"

namespace pyro::agent {

using nlohmann::json;

namespace {

constexpr uint64_t kMaxLimit = 1'000'000;
constexpr uint64_t kDefaultReadBytes = 1u << 20;

}  // namespace

json fs_stat(Workspace& ws, const json& params) {
  const std::string rel = workspace_path_param(params, "path", "fs_stat", "");
  UniqueFd root = ws.open_root();
  std::shared_lock<std::shared_mutex> reading(ws.lock());
  struct stat st {};
  if (rel.empty()) {
    if (::fstat(root.get(), &st) != 0) throw_resolve_error("fs_stat", rel, errno);
    return make_entry(rel, st, -1, "", false);
  }
  ParentRef parent = open_parent_or_throw(root.get(), rel, "fs_stat");
  if (::fstatat(parent.dir.get(), parent.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    throw_resolve_error("fs_stat", rel, errno);
  }
  return make_entry(rel, st, parent.dir.get(), parent.name, false);
}

json fs_list(Workspace& ws, const json& params) {
  ListOptions options;
  const std::string rel = workspace_path_param(params, "path", "fs_list", "");
  options.recursive = bool_param(params, "recursive", false, "fs_list");
  // mke2fs's lost+found is the file system's, not the workspace's: listed only when asked for by path.
  options.skip_root_lost_found = true;
  options.limit = uint_param(params, "limit", 10000, kMaxLimit, "fs_list");
  UniqueFd root = ws.open_root();
  std::shared_lock<std::shared_mutex> reading(ws.lock());
  Listing listing = list_tree(root.get(), rel, options, "fs_list");
  return {{"entries", std::move(listing.entries)}, {"truncated", listing.truncated}};
}

json fs_manifest(Workspace& ws, const json& params) {
  ListOptions options;
  const std::string rel = workspace_path_param(params, "path", "fs_manifest", "");
  options.recursive = true;
  options.with_hash = true;
  options.skip_root_lost_found = true;
  options.limit = uint_param(params, "limit", 100000, kMaxLimit, "fs_manifest");
  options.max_hash_bytes = uint_param(params, "max_hash_bytes", UINT64_MAX, UINT64_MAX, "fs_manifest");
  UniqueFd root = ws.open_root();
  std::shared_lock<std::shared_mutex> reading(ws.lock());
  Listing listing = list_tree(root.get(), rel, options, "fs_manifest");
  return {{"entries", std::move(listing.entries)}, {"truncated", listing.truncated}};
}

json fs_read(Workspace& ws, Connection& conn, uint32_t stream, const json& params) {
  const std::string rel = workspace_path_param(params, "path", "fs_read");
  const uint64_t offset = uint_param(params, "offset", 0, uint64_t{1} << 62, "fs_read");
  const uint64_t max_bytes = uint_param(params, "max_bytes", kDefaultReadBytes, uint64_t{1} << 62, "fs_read");
  UniqueFd root = ws.open_root();
  std::shared_lock<std::shared_mutex> reading(ws.lock());
  // Symlinks are followed, but resolution stays beneath the root. O_NONBLOCK: a FIFO
  // must not hang the open; it is refused below anyway.
  UniqueFd fd(open_beneath(root.get(), rel, O_RDONLY | O_NONBLOCK | O_NOCTTY));
  if (!fd) throw_resolve_error("fs_read", rel, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_fs_error("fs_read", rel, errno);
  if (S_ISDIR(st.st_mode)) {
    throw AgentError("failed_precondition", "fs_read `" + shown(rel) + "`: is a directory");
  }
  if (!S_ISREG(st.st_mode)) {
    throw AgentError("failed_precondition", "fs_read `" + shown(rel) + "`: not a regular file");
  }
  std::string buf(protocol::kMaxDataChunk, '\0');
  uint64_t sent = 0;
  bool eof = false;
  while (sent < max_bytes) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), max_bytes - sent));
    ssize_t n = ::pread(fd.get(), buf.data(), want, static_cast<off_t>(offset + sent));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_fs_error("fs_read", rel, errno);
    if (n == 0) {
      eof = true;
      break;
    }
    if (!conn.send(protocol::make_data_frame(stream, protocol::Channel::kStdout,
                                             std::string_view(buf.data(), static_cast<size_t>(n))))) {
      break;  // the connection died; its response would be dropped as well
    }
    sent += static_cast<uint64_t>(n);
  }
  if (!eof) eof = offset + sent >= static_cast<uint64_t>(st.st_size);
  return {{"size", static_cast<int64_t>(st.st_size)}, {"bytes", sent}, {"eof", eof}};
}

}  // namespace pyro::agent

#include "workspace/agent_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>

#include <fmt/format.h>

#include "protocol/base64.hpp"
#include "protocol/frame.hpp"
#include "pyro/error.hpp"
#include "workspace/guest_reply.hpp"

namespace pyro::detail {
namespace {

constexpr auto kCallTimeout = std::chrono::seconds(60);
// Raw bytes per fs_apply call: base64 (4/3) plus JSON must stay under the 4 MiB frame.
constexpr size_t kBatchBytes = 2u << 20;
// Raw bytes per fs_read call.
constexpr uint64_t kReadChunk = 4u << 20;

Deadline call_deadline() { return deadline_after(kCallTimeout); }

}  // namespace

TreeEntry agent_stat(AgentConnection& agent, const std::string& path) {
  return checked_stat(agent.call("fs_stat", {{"path", path}}, call_deadline()), path);
}

std::optional<TreeEntry> agent_try_stat(AgentConnection& agent, const std::string& path) {
  try {
    return agent_stat(agent, path);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kNotFound) return std::nullopt;
    throw;
  }
}

std::vector<TreeEntry> agent_list(AgentConnection& agent, const std::string& path, bool recursive) {
  constexpr size_t kLimit = GuestReplyLimits::kMaxListEntries;
  nlohmann::json r =
      agent.call("fs_list", {{"path", path}, {"recursive", recursive}, {"limit", kLimit}}, call_deadline());
  bool truncated = false;
  return checked_listing(r, path, recursive, /*manifest=*/false, kLimit, truncated);
}

std::vector<TreeEntry> agent_manifest(AgentConnection& agent, const std::string& path, uint64_t max_hash_bytes) {
  constexpr size_t kLimit = GuestReplyLimits::kMaxManifestEntries;
  nlohmann::json params = {{"path", path}, {"limit", kLimit}};
  if (max_hash_bytes != UINT64_MAX) params["max_hash_bytes"] = max_hash_bytes;
  nlohmann::json r = agent.call("fs_manifest", params, call_deadline());
  bool truncated = false;
  std::vector<TreeEntry> entries = checked_listing(r, path, /*recursive=*/true, /*manifest=*/true, kLimit, truncated);
  if (truncated) {
    throw Error(ErrorCode::kResourceExhausted, fmt::format("list `{}`: more entries than the agent lists at once", path));
  }
  return entries;
}

AgentFile agent_read(AgentConnection& agent, const std::string& path, uint64_t max_bytes) {
  AgentFile file;
  for (;;) {
    const uint64_t want = std::min<uint64_t>(kReadChunk, max_bytes - file.content.size());
    const size_t before = file.content.size();
    const std::string what = fmt::format("fs_read `{}` answered", path);
    DataBudget budget(want, what);
    nlohmann::json r = agent.call("fs_read", {{"path", path}, {"offset", before}, {"max_bytes", want}},
                                  call_deadline(), [&](protocol::Channel, std::string_view bytes) {
                                    budget.take(bytes.size());
                                    file.content.append(bytes);
                                  });
    const ReadReply reply = checked_read(r, want, budget.used(), what);
    file.size = reply.size;
    if (reply.eof || file.content.size() >= max_bytes || reply.bytes == 0) return file;
  }
}

void agent_read_to_fd(AgentConnection& agent, const std::string& path, uint64_t size, int fd,
                      const std::string& local) {
  uint64_t offset = 0;
  while (offset < size) {
    // Never more than the size the listing declared: a file that grew meanwhile is
    // cut there, and data beyond what was asked is the guest's lie.
    const uint64_t want = std::min<uint64_t>(kReadChunk, size - offset);
    const std::string what = fmt::format("fs_read `{}` answered", path);
    DataBudget budget(want, what);
    std::string write_error;
    nlohmann::json r = agent.call("fs_read", {{"path", path}, {"offset", offset}, {"max_bytes", want}},
                                  call_deadline(), [&](protocol::Channel, std::string_view bytes) {
                                    budget.take(bytes.size());
                                    while (!bytes.empty() && write_error.empty()) {
                                      ssize_t n = ::write(fd, bytes.data(), bytes.size());
                                      if (n < 0 && errno == EINTR) continue;
                                      if (n < 0) {
                                        write_error = std::strerror(errno);
                                        break;
                                      }
                                      bytes.remove_prefix(static_cast<size_t>(n));
                                    }
                                  });
    if (!write_error.empty()) {
      throw Error(ErrorCode::kResourceExhausted, fmt::format("write `{}`: {}", local, write_error));
    }
    const ReadReply reply = checked_read(r, want, budget.used(), what);
    offset += reply.bytes;
    if (reply.eof || reply.bytes == 0) break;  // it shrank meanwhile: what was there is copied
  }
}

void agent_read_to_file(AgentConnection& agent, const std::string& path, uint64_t size, const std::string& local,
                        uint32_t mode) {
  int fd = ::open(local.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw Error(errno == ENOSPC ? ErrorCode::kResourceExhausted : ErrorCode::kInternal,
                fmt::format("create `{}`: {}", local, std::strerror(errno)));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  agent_read_to_fd(agent, path, size, fd, local);
  ::fchmod(fd, mode & 0777);  // never a guest's setuid bit on the host
}

void AgentOps::write(const std::string& path, std::string_view data, uint32_t mode, const std::string& expect,
                     bool append) {
  nlohmann::json op = {{"op", "write"}, {"path", path}, {"data", protocol::base64_encode(data)}, {"mode", mode & 07777}};
  if (!expect.empty()) op["expect_sha256"] = expect;
  if (append) op["append"] = true;
  bytes_ += data.size() + path.size() + 64;
  ops_.push_back(std::move(op));
}

void AgentOps::mkdir(const std::string& path, uint32_t mode) {
  ops_.push_back({{"op", "mkdir"}, {"path", path}, {"mode", mode & 07777}});
  bytes_ += path.size() + 64;
}

void AgentOps::remove(const std::string& path, const std::string& expect, bool recursive) {
  nlohmann::json op = {{"op", "delete"}, {"path", path}, {"recursive", recursive}};
  if (!expect.empty()) op["expect_sha256"] = expect;
  ops_.push_back(std::move(op));
  bytes_ += path.size() + 128;
}

void AgentOps::symlink(const std::string& path, const std::string& target) {
  ops_.push_back({{"op", "symlink"}, {"path", path}, {"target", target}});
  bytes_ += path.size() + target.size() + 64;
}

void AgentOps::rename(const std::string& from, const std::string& to) {
  ops_.push_back({{"op", "rename"}, {"from", from}, {"to", to}});
  bytes_ += from.size() + to.size() + 64;
}

void agent_sync(AgentConnection& agent) { agent.call("sync", nlohmann::json::object(), call_deadline()); }

void agent_sync_final(AgentConnection& agent) {
  // Agents before `readonly` ignore it and only sync: the disk then still needs recovery.
  agent.call("sync", {{"readonly", true}}, call_deadline());
}

void agent_apply(AgentConnection& agent, const AgentOps& ops, bool atomic) {
  if (ops.empty()) return;
  agent.call("fs_apply", {{"ops", ops.json()}, {"atomic", atomic}}, call_deadline());
}

void AgentBatch::flush_if_full() {
  if (ops_.payload_bytes() >= kBatchBytes) flush();
}

void AgentBatch::flush() {
  agent_apply(agent_, ops_, /*atomic=*/false);
  ops_.clear();
}

void AgentBatch::write_file(const std::string& path, const std::string& local, uint32_t mode) {
  std::ifstream in(local, std::ios::binary);
  if (!in) throw Error(ErrorCode::kNotFound, fmt::format("read `{}`: {}", local, std::strerror(errno)));
  std::string chunk(kBatchBytes, '\0');
  in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  chunk.resize(static_cast<size_t>(in.gcount()));
  if (in.peek() == std::char_traits<char>::eof()) {
    ops_.write(path, chunk, mode);
    flush_if_full();
    return;
  }
  // Larger than one call: append to a temporary name, then rename it into place.
  std::random_device rd;
  const std::string slash = path.find('/') == std::string::npos ? "" : path.substr(0, path.rfind('/') + 1);
  const std::string tmp = slash + fmt::format(".pyro-push-{:08x}", rd());
  flush();
  bool first = true;
  while (!chunk.empty()) {
    ops_.write(tmp, chunk, mode, "", /*append=*/!first);
    flush();
    first = false;
    chunk.resize(kBatchBytes);
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    chunk.resize(static_cast<size_t>(in.gcount()));
  }
  ops_.rename(tmp, path);
  flush();
}

}  // namespace pyro::detail

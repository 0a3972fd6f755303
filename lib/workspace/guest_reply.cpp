#include "workspace/guest_reply.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "pyro/error.hpp"

namespace pyro::detail {
namespace {

using Limits = GuestReplyLimits;

[[noreturn]] void bad(std::string_view what, const std::string& cause) {
  throw Error(ErrorCode::kAgentProtocol, fmt::format("{}: {}", what, cause));
}

// Long guest strings are cut in messages: a message must not carry the attacker's megabytes.
std::string shown(std::string_view s) {
  constexpr size_t kShown = 80;
  std::string out(s.substr(0, kShown));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  return s.size() > kShown ? out + "..." : out;
}

const nlohmann::json& field(const nlohmann::json& j, const char* key, std::string_view what) {
  auto it = j.find(key);
  if (it == j.end()) bad(what, fmt::format("no `{}`", key));
  return *it;
}

std::string string_field(const nlohmann::json& j, const char* key, std::string_view what) {
  const auto& v = field(j, key, what);
  if (!v.is_string()) bad(what, fmt::format("`{}` is not a string", key));
  return v.get<std::string>();
}

uint64_t unsigned_field(const nlohmann::json& j, const char* key, std::string_view what) {
  const auto& v = field(j, key, what);
  if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<int64_t>() < 0)) {
    bad(what, fmt::format("`{}` is not an unsigned integer", key));
  }
  return v.get<uint64_t>();
}

bool optional_bool(const nlohmann::json& j, const char* key, bool fallback, std::string_view what) {
  auto it = j.find(key);
  if (it == j.end()) return fallback;
  if (!it->is_boolean()) bad(what, fmt::format("`{}` is not a boolean", key));
  return it->get<bool>();
}

bool is_sha256_hex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string parent_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

}  // namespace

void check_reply_path(std::string_view path, std::string_view what) {
  if (path.empty()) bad(what, "an empty path");
  if (path.size() > Limits::kMaxPathBytes) bad(what, fmt::format("a path of {} bytes", path.size()));
  if (path.find('\0') != std::string_view::npos) bad(what, fmt::format("path `{}` has a NUL byte", shown(path)));
  if (path.front() == '/') bad(what, fmt::format("path `{}` is absolute", shown(path)));
  size_t depth = 0;
  std::string_view rest = path;
  for (;;) {
    const size_t slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    if (part.empty() || part == "." || part == "..") {
      bad(what, fmt::format("path `{}` is not normalised (component `{}`)", shown(path), shown(part)));
    }
    if (part.size() > Limits::kMaxNameBytes) bad(what, fmt::format("path `{}` has a name of {} bytes", shown(path), part.size()));
    if (++depth > Limits::kMaxDepth) bad(what, fmt::format("path `{}` is deeper than {}", shown(path), Limits::kMaxDepth));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
}

bool is_below(std::string_view path, std::string_view root) {
  if (root.empty()) return !path.empty();
  return path.size() > root.size() + 1 && path.substr(0, root.size()) == root && path[root.size()] == '/';
}

TreeEntry checked_entry(const nlohmann::json& j, bool manifest, std::string_view what) {
  if (!j.is_object()) bad(what, "an entry is not an object");
  TreeEntry e;
  e.path = string_field(j, "path", what);
  e.type = string_field(j, "type", what);
  if (e.type != "file" && e.type != "directory" && e.type != "symlink" && e.type != "other") {
    bad(what, fmt::format("`{}` has the unknown type `{}`", shown(e.path), shown(e.type)));
  }
  e.size = unsigned_field(j, "size", what);
  if (e.size > Limits::kMaxFileSize) bad(what, fmt::format("`{}` claims {} bytes", shown(e.path), e.size));
  const uint64_t mode = unsigned_field(j, "mode", what);
  if (mode > 07777) bad(what, fmt::format("`{}` has mode {:o}, more than permission bits", shown(e.path), mode));
  e.mode = static_cast<uint32_t>(mode);
  if (auto it = j.find("mtime"); it != j.end()) {
    if (!it->is_number_integer()) bad(what, "`mtime` is not an integer");
    e.mtime = it->get<int64_t>();
  }
  const bool has_target = j.contains("target");
  if (e.type == "symlink") {
    e.target = string_field(j, "target", what);
    if (e.target.empty() || e.target.size() > Limits::kMaxTargetBytes || e.target.find('\0') != std::string::npos) {
      bad(what, fmt::format("symlink `{}` has a target of {} bytes or a NUL byte", shown(e.path), e.target.size()));
    }
  } else if (has_target) {
    bad(what, fmt::format("`{}` is a {} with a symlink target", shown(e.path), e.type));
  }
  // The agent leaves sha256 out when it could not read the file; when given it must be one.
  if (manifest && e.type == "file" && j.contains("sha256")) {
    e.sha256 = string_field(j, "sha256", what);
    if (!is_sha256_hex(e.sha256)) bad(what, fmt::format("`{}` has a malformed sha256", shown(e.path)));
  }
  return e;
}

TreeEntry checked_stat(const nlohmann::json& result, const std::string& asked) {
  const std::string what = fmt::format("fs_stat `{}` answered", asked);
  TreeEntry e = checked_entry(result, /*manifest=*/false, what);
  const std::string expected = asked.empty() ? "." : asked;
  if (e.path != expected) bad(what, fmt::format("the entry of `{}` instead", shown(e.path)));
  if (asked.empty()) {
    if (e.type != "directory") bad(what, fmt::format("the root is a {}", e.type));
  } else {
    check_reply_path(e.path, what);
  }
  return e;
}

std::vector<TreeEntry> checked_listing(const nlohmann::json& result, const std::string& root, bool recursive,
                                       bool manifest, size_t limit, bool& truncated) {
  const std::string what =
      fmt::format("{} `{}` answered", manifest ? "fs_manifest" : "fs_list", root.empty() ? "." : root);
  if (!result.is_object()) bad(what, "not an object");
  truncated = optional_bool(result, "truncated", false, what);
  const nlohmann::json& entries = checked_array(result, "entries", limit, what);
  std::vector<TreeEntry> out;
  out.reserve(entries.size());
  for (const auto& j : entries) {
    TreeEntry e = checked_entry(j, manifest, what);
    check_reply_path(e.path, what);
    out.push_back(std::move(e));
  }
  // The entry of a listed non-directory itself (fs_list or fs_manifest of a file).
  if (!root.empty() && out.size() == 1 && out[0].path == root && out[0].type != "directory") {
    return out;
  }
  std::map<std::string, const TreeEntry*> by_path;
  for (const TreeEntry& e : out) {
    if (!is_below(e.path, root)) bad(what, fmt::format("`{}` is not below `{}`", shown(e.path), root));
    if (!by_path.emplace(e.path, &e).second) bad(what, fmt::format("`{}` is listed twice", shown(e.path)));
  }
  for (const TreeEntry& e : out) {
    const std::string parent = parent_of(e.path);
    if (parent == root) continue;
    if (!recursive) bad(what, fmt::format("`{}` is not a child of `{}`", shown(e.path), root));
    auto it = by_path.find(parent);
    if (it == by_path.end()) bad(what, fmt::format("`{}` has no parent directory in the listing", shown(e.path)));
    if (it->second->type != "directory") {
      bad(what, fmt::format("`{}` lies below `{}`, a {}", shown(e.path), shown(parent), it->second->type));
    }
  }
  std::sort(out.begin(), out.end(), [](const TreeEntry& a, const TreeEntry& b) { return a.path < b.path; });
  return out;
}

ReadReply checked_read(const nlohmann::json& result, uint64_t asked, uint64_t received, std::string_view what) {
  if (!result.is_object()) bad(what, "not an object");
  ReadReply r;
  r.size = unsigned_field(result, "size", what);
  if (r.size > Limits::kMaxFileSize) bad(what, fmt::format("a file of {} bytes", r.size));
  r.bytes = result.contains("bytes") ? unsigned_field(result, "bytes", what) : received;
  if (received > asked) bad(what, fmt::format("{} bytes for a read of at most {}", received, asked));
  if (r.bytes != received) bad(what, fmt::format("`bytes` says {}, {} arrived", r.bytes, received));
  r.eof = optional_bool(result, "eof", false, what);
  return r;
}

const nlohmann::json& checked_array(const nlohmann::json& reply, const char* key, size_t max, std::string_view what) {
  if (!reply.is_object()) bad(what, "not an object");
  const auto& v = field(reply, key, what);
  if (!v.is_array()) bad(what, fmt::format("`{}` is not an array", key));
  if (v.size() > max) bad(what, fmt::format("{} elements in `{}`, at most {} were asked for", v.size(), key, max));
  return v;
}

void DataBudget::take(size_t bytes) {
  used_ += bytes;
  if (used_ > limit_) {
    throw Error(ErrorCode::kAgentProtocol, fmt::format("{}: more than the {} bytes asked for arrived", what_, limit_));
  }
}

}  // namespace pyro::detail

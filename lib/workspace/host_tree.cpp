#include "workspace/host_tree.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "pyro/error.hpp"
#include "util/sha256.hpp"

namespace pyro::detail {
namespace {

[[noreturn]] void fail_errno(const std::string& root, const std::string& action, const std::string& path) {
  throw Error(ErrorCode::kInternal,
              fmt::format("scan tree `{}`: {} `{}`: {}", root, action, path, std::strerror(errno)));
}

std::string read_link(const std::string& root, const std::string& abs, size_t size_hint) {
  std::string target(std::max<size_t>(size_hint, 64) + 1, '\0');
  for (;;) {
    const ssize_t n = ::readlink(abs.c_str(), target.data(), target.size());
    if (n < 0) fail_errno(root, "read link", abs);
    if (static_cast<size_t>(n) < target.size()) {
      target.resize(static_cast<size_t>(n));
      return target;
    }
    target.resize(target.size() * 2);  // the link changed since lstat: try again larger
  }
}

// `rel_dir` by value: callers pass a path stored in `out`, which grows below.
void scan_dir(const std::string& root, std::string rel_dir, std::vector<TreeEntry>& out) {
  const std::string abs_dir = rel_dir.empty() ? root : root + "/" + rel_dir;
  DIR* dir = ::opendir(abs_dir.c_str());
  if (dir == nullptr) fail_errno(root, "open directory", abs_dir);
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* d = ::readdir(dir)) {
    const std::string name = d->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  const int read_errno = errno;
  ::closedir(dir);
  if (read_errno != 0) {
    errno = read_errno;
    fail_errno(root, "read directory", abs_dir);
  }

  for (const std::string& name : names) {
    TreeEntry e;
    e.path = rel_dir.empty() ? name : rel_dir + "/" + name;
    const std::string abs = root + "/" + e.path;
    struct stat st {};
    if (::lstat(abs.c_str(), &st) != 0) fail_errno(root, "stat", abs);
    e.type = tree_entry_type(st.st_mode);
    e.mode = st.st_mode & 07777;
    e.mtime = st.st_mtim.tv_sec;
    if (S_ISREG(st.st_mode)) {
      e.size = static_cast<uint64_t>(st.st_size);
      e.sha256 = sha256_file_hex(abs);
      if (e.sha256.empty()) fail_errno(root, "read", abs);
    } else if (S_ISLNK(st.st_mode)) {
      e.target = read_link(root, abs, static_cast<size_t>(st.st_size));
      e.size = e.target.size();
    }
    const bool is_dir = S_ISDIR(st.st_mode);
    out.push_back(std::move(e));
    if (is_dir) scan_dir(root, out.back().path, out);
  }
}

}  // namespace

const char* tree_entry_type(uint32_t st_mode) {
  if (S_ISREG(st_mode)) return "file";
  if (S_ISDIR(st_mode)) return "directory";
  if (S_ISLNK(st_mode)) return "symlink";
  return "other";
}

std::vector<TreeEntry> scan_tree(const std::string& root) {
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      throw Error(ErrorCode::kNotFound, fmt::format("scan tree `{}`: no such directory", root));
    }
    fail_errno(root, "stat", root);
  }
  if (!S_ISDIR(st.st_mode)) {
    throw Error(ErrorCode::kInvalidArgument, fmt::format("scan tree `{}`: not a directory", root));
  }
  std::vector<TreeEntry> out;
  scan_dir(root, "", out);
  // Byte order of whole paths (not per directory), as the guest sorts.
  std::sort(out.begin(), out.end(), [](const TreeEntry& a, const TreeEntry& b) { return a.path < b.path; });
  return out;
}

void to_json(nlohmann::json& j, const TreeEntry& e) {
  j = nlohmann::json{{"path", e.path}, {"type", e.type}, {"size", e.size}, {"mode", e.mode}, {"mtime", e.mtime}};
  if (e.type == "symlink") j["target"] = e.target;
  if (!e.sha256.empty()) j["sha256"] = e.sha256;
}

void from_json(const nlohmann::json& j, TreeEntry& e) {
  e.path = j.value("path", std::string());
  e.type = j.value("type", std::string("other"));
  e.size = j.value("size", uint64_t{0});
  e.mode = j.value("mode", uint32_t{0});
  e.mtime = j.value("mtime", int64_t{0});
  e.target = j.value("target", std::string());
  e.sha256 = j.value("sha256", std::string());
}

WorkspaceFileEntry to_file_entry(const TreeEntry& e) {
  return WorkspaceFileEntry{e.path, e.type, e.size, e.mode, e.mtime, e.target};
}

}  // namespace pyro::detail

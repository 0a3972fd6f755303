#include "fs_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "fs_paths.hpp"
#include "protocol/sha256.hpp"

namespace pyro::agent {
namespace {

using nlohmann::json;

const char* type_name(mode_t mode) {
  if (S_ISREG(mode)) return "file";
  if (S_ISDIR(mode)) return "directory";
  if (S_ISLNK(mode)) return "symlink";
  return "other";
}

// Sorted names in the directory open as `dirfd` (readable, not O_PATH). A directory
// removed meanwhile has none; any other read error (say an entry the kernel refuses
// as corrupt, EUCLEAN) fails the listing instead of silently hiding what follows.
std::vector<std::string> sorted_names(int dirfd, const std::string& rel, const char* op) {
  std::vector<std::string> names;
  int copy = ::dup(dirfd);
  if (copy < 0) throw_fs_error(op, rel, errno);
  DIR* dir = ::fdopendir(copy);
  if (!dir) {
    const int err = errno;
    ::close(copy);
    throw_fs_error(op, rel, err);
  }
  ::rewinddir(dir);
  int err = 0;
  for (;;) {
    errno = 0;
    dirent* e = ::readdir(dir);
    if (!e) {
      err = errno;
      break;
    }
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(dir);
  if (err != 0 && err != ENOENT) throw_fs_error(op, rel, err);
  std::sort(names.begin(), names.end());
  return names;
}

bool hashed(const ListOptions& options, const struct stat& st) {
  return options.with_hash && static_cast<uint64_t>(st.st_size) <= options.max_hash_bytes;
}

class Collector {
 public:
  Collector(const ListOptions& options, const char* op) : options_(options), op_(op) {}

  // False once full: the listing is then truncated.
  bool add(json entry) {
    const size_t bytes = entry.dump(-1, ' ', false, json::error_handler_t::replace).size() + 1;
    if (listing_.entries.size() >= options_.limit || bytes_ + bytes > kMaxListingBytes) {
      listing_.truncated = true;
      return false;
    }
    bytes_ += bytes;
    listing_.entries.push_back(std::move(entry));
    return true;
  }

  // Depth-first over the children of `dirfd` (`rel`); false when full.
  bool walk(int dirfd, const std::string& rel) {
    for (const std::string& name : sorted_names(dirfd, rel, op_)) {
      if (rel.empty() && options_.skip_root_lost_found && name == "lost+found") continue;
      struct stat st {};
      if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // vanished
      const std::string child = join(rel, name);
      if (!add(make_entry(child, st, dirfd, name, hashed(options_, st)))) return false;
      if (!options_.recursive || !S_ISDIR(st.st_mode)) continue;
      UniqueFd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (sub && !walk(sub.get(), child)) return false;
    }
    return true;
  }

  Listing finish() {
    auto& items = listing_.entries.get_ref<json::array_t&>();
    std::sort(items.begin(), items.end(), [](const json& a, const json& b) {
      return a["path"].get_ref<const std::string&>() < b["path"].get_ref<const std::string&>();
    });
    return std::move(listing_);
  }

 private:
  const ListOptions& options_;
  const char* op_;
  Listing listing_;
  size_t bytes_ = 0;
};

}  // namespace

json make_entry(const std::string& rel, const struct stat& st, int dirfd, const std::string& name,
                bool with_hash) {
  json entry = {
      {"path", shown(rel)},
      {"type", type_name(st.st_mode)},
      {"size", static_cast<int64_t>(st.st_size)},
      {"mode", static_cast<int>(st.st_mode & 07777)},
      {"mtime", static_cast<int64_t>(st.st_mtim.tv_sec)},
  };
  if (S_ISLNK(st.st_mode) && dirfd >= 0) {
    char buf[PATH_MAX];
    ssize_t n = ::readlinkat(dirfd, name.c_str(), buf, sizeof buf);
    if (n >= 0) entry["target"] = std::string(buf, static_cast<size_t>(n));
  }
  if (with_hash && S_ISREG(st.st_mode) && dirfd >= 0) {
    UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    std::string hex = fd ? protocol::sha256_fd_hex(fd.get()) : "";
    if (!hex.empty()) entry["sha256"] = hex;
  }
  return entry;
}

Listing list_tree(int root, const std::string& rel, const ListOptions& options, const char* op) {
  Collector collector(options, op);
  struct stat st {};
  if (rel.empty()) {
    UniqueFd dir(open_beneath(root, "", O_RDONLY | O_DIRECTORY));
    if (!dir) throw_resolve_error(op, rel, errno);
    collector.walk(dir.get(), rel);
    return collector.finish();
  }
  ParentRef parent = open_parent_or_throw(root, rel, op);
  if (::fstatat(parent.dir.get(), parent.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    throw_resolve_error(op, rel, errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    collector.add(make_entry(rel, st, parent.dir.get(), parent.name, hashed(options, st)));
    return collector.finish();
  }
  UniqueFd dir(::openat(parent.dir.get(), parent.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) throw_resolve_error(op, rel, errno);
  collector.walk(dir.get(), rel);
  return collector.finish();
}

}  // namespace pyro::agent

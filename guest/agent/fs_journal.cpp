#include "fs_journal.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "fs_paths.hpp"
#include "log.hpp"

namespace pyro::agent {
namespace {

// renameat beneath the root: both paths' parents are resolved confined.
bool rename_beneath(int root, const std::string& from, const std::string& to, unsigned flags) {
  ParentRef pf, pt;
  if (!open_parent(root, from, pf) || !open_parent(root, to, pt)) return false;
  return ::renameat2(pf.dir.get(), pf.name.c_str(), pt.dir.get(), pt.name.c_str(), flags) == 0;
}

bool undo_created(int root, const std::string& rel, bool is_dir) {
  ParentRef p;
  if (!open_parent(root, rel, p)) return false;
  return ::unlinkat(p.dir.get(), p.name.c_str(), is_dir ? AT_REMOVEDIR : 0) == 0;
}

bool undo_appended(int root, const std::string& rel, off_t size, const timespec& mtime) {
  ParentRef p;
  if (!open_parent(root, rel, p)) return false;
  UniqueFd fd(::openat(p.dir.get(), p.name.c_str(), O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  const timespec times[2] = {{0, UTIME_OMIT}, mtime};
  return fd && ::ftruncate(fd.get(), size) == 0 && ::futimens(fd.get(), times) == 0 && ::fsync(fd.get()) == 0;
}

}  // namespace

std::string unique_name(const char* prefix) {
  static std::atomic<uint64_t> seq{0};
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s%llx-%llx", prefix,
                static_cast<unsigned long long>(now.tv_sec) * 1000000000ull + static_cast<unsigned long long>(now.tv_nsec),
                static_cast<unsigned long long>(seq.fetch_add(1)));
  return buf;
}

bool remove_tree(int dirfd, const std::string& name) {
  if (::unlinkat(dirfd, name.c_str(), 0) == 0) return true;
  if (errno != EISDIR && errno != EPERM) return false;
  UniqueFd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!sub) return false;
  int copy = ::dup(sub.get());
  DIR* dir = copy >= 0 ? ::fdopendir(copy) : nullptr;
  if (!dir) {
    if (copy >= 0) ::close(copy);
    return false;
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(dir)) {
    std::string child = e->d_name;
    if (child != "." && child != "..") names.push_back(std::move(child));
  }
  ::closedir(dir);
  for (const auto& child : names) {
    if (!remove_tree(sub.get(), child)) return false;
  }
  return ::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) == 0;
}

std::string Journal::stash_path() {
  if (stash_.empty()) {
    std::string name = unique_name(".pyro-apply-");
    if (::mkdirat(root_, name.c_str(), 0700) != 0) throw_fs_error("create stash", name, errno);
    stash_ = name;
  }
  return stash_ + "/" + std::to_string(next_++);
}

std::string Journal::rollback() noexcept {
  std::string failures;
  for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
    bool ok = false;
    const char* what = "";
    switch (it->kind) {
      case Kind::kCreated:
        ok = undo_created(root_, it->a, it->is_dir);
        what = "remove";
        break;
      case Kind::kMoved:
        ok = rename_beneath(root_, it->b, it->a, RENAME_NOREPLACE);
        what = "move back";
        break;
      case Kind::kReplaced:
        ok = rename_beneath(root_, it->b, it->a, 0);
        what = "restore";
        break;
      case Kind::kAppended:
        ok = undo_appended(root_, it->a, it->size, it->mtime);
        what = "truncate";
        break;
    }
    if (!ok) {
      std::string failure = std::string(what) + " `" + shown(it->a) + "`: " + std::strerror(errno);
      log_line("fs_apply rollback: " + failure);
      failures += (failures.empty() ? "" : "; ") + failure;
    }
  }
  steps_.clear();
  if (failures.empty()) {
    drop_stash();
  } else {
    // Originals that could not be put back are still in the stash: keep them.
    failures += "; originals kept in `" + stash_ + "`";
  }
  return failures;
}

void Journal::commit() noexcept {
  steps_.clear();
  drop_stash();
}

void Journal::drop_stash() noexcept {
  if (stash_.empty()) return;
  if (!remove_tree(root_, stash_)) {
    log_line("fs_apply: remove stash `" + stash_ + "`: " + std::strerror(errno));
  }
  stash_.clear();
  next_ = 0;
}

}  // namespace pyro::agent

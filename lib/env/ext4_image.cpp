#include "env/ext4_image.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "pyro/error.hpp"
#include "util/child_process.hpp"
#include "util/find_executable.hpp"
#include "util/progress.hpp"

namespace pyro::detail {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kMinImageBytes = 64 * kMiB;
constexpr uint64_t kBlock = 4096;
constexpr int kMaxSymlinkHops = 40;  // as the kernel's MAXSYMLINKS

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    if (slash > pos) parts.push_back(path.substr(pos, slash - pos));
    pos = slash + 1;
  }
  return parts;
}

// `path` as the guest will see it, with symlinks resolved inside `root` the way
// chroot would (absolute targets start at the root, `..` stops at it).
std::optional<fs::path> resolve_in_root(const fs::path& root, const std::string& path) {
  std::deque<std::string> todo;
  for (auto& part : split_path(path)) todo.push_back(std::move(part));
  std::vector<std::string> done;
  int hops = 0;
  auto current = [&] {
    fs::path p = root;
    for (const auto& part : done) p /= part;
    return p;
  };
  while (!todo.empty()) {
    const std::string part = std::move(todo.front());
    todo.pop_front();
    if (part == ".") continue;
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    const fs::path candidate = current() / part;
    struct stat st {};
    if (::lstat(candidate.c_str(), &st) != 0) return std::nullopt;
    if (!S_ISLNK(st.st_mode)) {
      done.push_back(part);
      continue;
    }
    if (++hops > kMaxSymlinkHops) return std::nullopt;
    std::error_code ec;
    const std::string target = fs::read_symlink(candidate, ec).string();
    if (ec) return std::nullopt;
    if (!target.empty() && target.front() == '/') done.clear();
    auto parts = split_path(target);
    todo.insert(todo.begin(), parts.begin(), parts.end());
  }
  return current();
}

struct TreeUsage {
  uint64_t bytes = 0;
  uint64_t inodes = 0;
};

uint64_t round_up(uint64_t value, uint64_t unit) { return (value + unit - 1) / unit * unit; }

// What the tree will take in ext4, roughly: whole blocks per file and directory,
// hard-linked files counted once.
TreeUsage measure_tree(const fs::path& root) {
  TreeUsage usage{kBlock, 1};
  std::set<std::pair<dev_t, ino_t>> seen_links;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end; !ec && it != end;
       it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    if (S_ISREG(st.st_mode) && st.st_nlink > 1 && !seen_links.insert({st.st_dev, st.st_ino}).second) continue;
    ++usage.inodes;
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
      usage.bytes += std::max<uint64_t>(kBlock, round_up(static_cast<uint64_t>(st.st_size), kBlock));
    } else if (S_ISLNK(st.st_mode) && st.st_size >= 60) {  // shorter targets live in the inode
      usage.bytes += kBlock;
    }
  }
  if (ec) {
    throw Error(ErrorCode::kInternal, fmt::format("make ext4 image: read `{}`: {}", root.string(), ec.message()));
  }
  return usage;
}

void ensure_workspace(const fs::path& root) {
  const fs::path workspace = root / "workspace";
  struct stat st {};
  if (::lstat(workspace.c_str(), &st) == 0) return;
  if (::mkdir(workspace.c_str(), 0755) != 0 || ::chmod(workspace.c_str(), 0755) != 0) {
    throw Error(errno == ENOSPC ? ErrorCode::kResourceExhausted : ErrorCode::kInternal,
                fmt::format("make ext4 image: create `/workspace`: {}", std::strerror(errno)));
  }
  if (::geteuid() == 0 && ::lchown(workspace.c_str(), 0, 0) != 0) {
    throw Error(ErrorCode::kInternal, fmt::format("make ext4 image: chown `/workspace`: {}", std::strerror(errno)));
  }
}

std::string find_mke2fs() {
  std::string path = find_executable("mke2fs");
  if (!path.empty()) return path;
  for (const char* candidate : {"/usr/sbin/mke2fs", "/sbin/mke2fs"}) {
    if (::access(candidate, X_OK) == 0) return candidate;
  }
  throw Error(ErrorCode::kUnavailable,
              "make ext4 image: `mke2fs` not found in PATH, /usr/sbin or /sbin; install e2fsprogs");
}

}  // namespace

void check_rootfs_usable(const std::string& root_dir) {
  const auto sh = resolve_in_root(root_dir, "/bin/sh");
  struct stat st {};
  if (!sh || ::stat(sh->c_str(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0) {
    throw Error(ErrorCode::kInvalidArgument, "import image: it has no /bin/sh; pyro runs commands with /bin/sh -c");
  }
}

void make_ext4_image(const std::string& root_dir, const std::string& image_path, uint64_t extra_bytes,
                     const ProgressHandler& progress) {
  const std::string what = fmt::format("make ext4 image `{}`", image_path);
  check_rootfs_usable(root_dir);
  ensure_workspace(root_dir);

  const TreeUsage usage = measure_tree(root_dir);
  const uint64_t size = std::max(kMinImageBytes, round_up(usage.bytes + usage.bytes * 3 / 10 + extra_bytes, kMiB));
  // mke2fs gives one inode per 16 KiB at most; a tree of many small files needs more.
  const uint64_t inodes = usage.inodes + usage.inodes * 3 / 10 + 1024;
  report_progress(progress, "make image", fmt::format("making a {} MiB ext4 image of {} files", size / kMiB, usage.inodes));

  const fs::path image(image_path);
  const fs::path image_dir = image.has_parent_path() ? image.parent_path() : fs::path(".");
  struct statvfs vfs {};
  if (::statvfs(image_dir.c_str(), &vfs) == 0 &&
      static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize < usage.bytes) {
    throw Error(ErrorCode::kResourceExhausted,
                fmt::format("{}: {:.1f} MiB free in `{}`, the tree needs about {:.1f} MiB", what,
                            static_cast<double>(vfs.f_bavail) * vfs.f_frsize / kMiB, image_dir.string(),
                            static_cast<double>(usage.bytes) / kMiB));
  }
  make_ext4_filesystem(root_dir, image_path, size, "pyro-root", inodes);
}

void make_ext4_filesystem(const std::string& content_dir, const std::string& image_path, uint64_t size_bytes,
                          const std::string& label, uint64_t min_inodes) {
  const std::string what = fmt::format("make ext4 image `{}`", image_path);
  const fs::path image(image_path);
  const uint64_t size = size_bytes;
  const uint64_t inodes = min_inodes;
  const std::string root_dir = content_dir;
  std::error_code ec;
  fs::remove(image, ec);  // a fresh file: mke2fs never asks about an old filesystem

  std::vector<std::string> args = {find_mke2fs(), "-q", "-t", "ext4", "-d", root_dir,
                                   "-L", label, "-E", "root_owner=0:0"};
  if (inodes > size / 16384) {
    args.push_back("-N");
    args.push_back(std::to_string(inodes));
  }
  args.push_back(image_path);
  args.push_back(fmt::format("{}k", size / 1024));

  ToolResult result;
  try {
    result = run_tool({.argv = args});
  } catch (const Error& e) {
    fs::remove(image, ec);
    throw Error(e.code(), fmt::format("{}: {}", what, e.what()));
  } catch (...) {
    fs::remove(image, ec);  // no half-written image on any path
    throw;
  }
  if (!result.ok()) {
    fs::remove(image, ec);
    const bool full = result.stderr_tail.find("No space left") != std::string::npos ||
                      result.stderr_tail.find("Disk quota exceeded") != std::string::npos;
    throw Error(full ? ErrorCode::kResourceExhausted : ErrorCode::kInternal,
                fmt::format("{}: {}", what, result.failure("mke2fs")));
  }
}

}  // namespace pyro::detail

#include "jail_root.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "sys_error.hpp"

namespace pyro_jailer {
namespace {

// mkdir -p of `path` below `root`; a component that exists (also inside a bind
// mount made earlier) is left alone.
void make_dirs(const std::string& root, const std::string& path) {
  std::string at = root;
  size_t pos = 1;
  while (pos < path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) break;
    at += path.substr(pos - 1, next - pos + 1);
    if (::mkdir(at.c_str(), 0755) != 0 && errno != EEXIST) fail("create directory", at);
    pos = next + 1;
  }
}

void make_mount_point(const std::string& target, bool directory) {
  if (directory) {
    if (::mkdir(target.c_str(), 0755) != 0 && errno != EEXIST) fail("create directory", target);
    return;
  }
  int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) fail("create mount point", target);
  ::close(fd);
}

// A node with the host's device number, the VMM's own (see Bind::owned).
void make_owned_device(const Bind& b, const std::string& root, unsigned uid, unsigned gid) {
  struct stat st {};
  if (::stat(b.path.c_str(), &st) != 0) fail("inspect", b.path);
  if (!S_ISCHR(st.st_mode)) fail("make device", b.path, ENODEV);
  const std::string target = root + b.path;
  make_dirs(root, b.path);
  if (::mknod(target.c_str(), S_IFCHR | 0600, st.st_rdev) != 0) fail("make device", target);
  if (::chown(target.c_str(), uid, gid) != 0) fail("hand over", target);
}

void bind(const Bind& b, const std::string& root) {
  struct stat st {};
  if (::lstat(b.path.c_str(), &st) != 0) {
    if (b.system && errno == ENOENT) return;
    fail("inspect", b.path);
  }
  const std::string target = root + b.path;
  make_dirs(root, b.path);
  if (b.system && S_ISLNK(st.st_mode)) {
    // Merged /usr: /lib -> usr/lib. The same link inside resolves to the bound /usr.
    char link[4096];
    ssize_t n = ::readlink(b.path.c_str(), link, sizeof(link) - 1);
    if (n < 0) fail("read link", b.path);
    link[n] = '\0';
    if (::symlink(link, target.c_str()) != 0 && errno != EEXIST) fail("create link", target);
    return;
  }
  if (::stat(b.path.c_str(), &st) != 0) fail("inspect", b.path);
  make_mount_point(target, S_ISDIR(st.st_mode));
  const unsigned long recursive = b.system ? MS_REC : 0;
  if (::mount(b.path.c_str(), target.c_str(), nullptr, MS_BIND | recursive, nullptr) != 0) fail("bind", b.path);
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_NOSUID;
  if (!b.device) flags |= MS_NODEV;
  if (!b.writable) flags |= MS_RDONLY;
  if (b.writable) flags |= MS_NOEXEC;  // what the VMM may write, it may not run
  if (::mount(nullptr, target.c_str(), nullptr, flags, nullptr) != 0) fail("remount", target);
}

}  // namespace

void enter_jail_root(const std::string& root, const std::vector<Bind>& binds, unsigned uid, unsigned gid) {
  // Nothing mounted from here on reaches the host, and nothing the host mounts later shows up.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) fail("make mounts private", "/");
  if (::mkdir(root.c_str(), 0700) != 0 && errno != EEXIST) fail("create directory", root);
  if (::mount("tmpfs", root.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=1m,nr_inodes=4096") != 0) {
    fail("mount tmpfs on", root);
  }
  // The root tmpfs is nodev; nodes made in the jail live on a small /dev of their own.
  const bool own_dev = std::any_of(binds.begin(), binds.end(), [](const Bind& b) { return b.owned; });
  if (own_dev) {
    const std::string dev = root + "/dev";
    if (::mkdir(dev.c_str(), 0755) != 0 && errno != EEXIST) fail("create directory", dev);
    if (::mount("tmpfs", dev.c_str(), "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k,nr_inodes=64") != 0) {
      fail("mount tmpfs on", dev);
    }
  }
  // Parents before children: a path inside a bound directory is then mounted on top.
  std::vector<Bind> sorted = binds;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Bind& a, const Bind& b) { return a.path.size() < b.path.size(); });
  for (const Bind& b : sorted) {
    if (b.owned) {
      make_owned_device(b, root, uid, gid);
    } else {
      bind(b, root);
    }
  }
  if (::chdir(root.c_str()) != 0) fail("enter", root);
  if (::syscall(SYS_pivot_root, ".", ".") != 0) fail("pivot into", root);
  if (::umount2(".", MNT_DETACH) != 0) fail("detach the host root", "/");
  if (::chdir("/") != 0) fail("enter", "/");
  if (::mount(nullptr, "/", nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    fail("make read-only", "/");
  }
  if (own_dev && ::mount(nullptr, "/dev", nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, nullptr) != 0) {
    fail("make read-only", "/dev");
  }
}

}  // namespace pyro_jailer

#include "cgroups.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include "sys_error.hpp"

namespace pyro_jailer {
namespace {

// A leaf older than this with no process left belongs to a VMM that is gone.
constexpr time_t kStaleSeconds = 60;

void write_file(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) fail("open", path);
  ssize_t n = ::write(fd, value.data(), value.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(value.size())) fail("write `" + value + "` to", path, n < 0 ? err : EIO);
}

void make_dirs(const std::string& path) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    const std::string at = path.substr(0, pos);
    if (::mkdir(at.c_str(), 0755) != 0 && errno != EEXIST) fail("create cgroup", at);
  }
}

// rmdir fails on a cgroup that still holds a process, so this never touches a live VMM.
void sweep_siblings(const std::string& leaf) {
  const std::string parent = leaf.substr(0, leaf.rfind('/'));
  DIR* dir = ::opendir(parent.c_str());
  if (!dir) return;
  const time_t now = ::time(nullptr);
  while (dirent* e = ::readdir(dir)) {
    if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
    const std::string path = parent + "/" + e->d_name;
    if (path == leaf) continue;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && now - st.st_mtime > kStaleSeconds) ::rmdir(path.c_str());
  }
  ::closedir(dir);
}

}  // namespace

void create_cgroups(const std::vector<std::pair<std::string, std::string>>& enable,
                    const std::vector<std::string>& leaves,
                    const std::vector<std::pair<std::string, std::string>>& set) {
  for (const auto& [file, value] : enable) {
    make_dirs(file.substr(0, file.rfind('/')));
    write_file(file, value);
  }
  for (const auto& leaf : leaves) {
    make_dirs(leaf);
    sweep_siblings(leaf);
  }
  for (const auto& [file, value] : set) write_file(file, value);
}

void join_cgroups(const std::vector<std::string>& leaves, pid_t pid) {
  for (const auto& leaf : leaves) write_file(leaf + "/cgroup.procs", std::to_string(pid));
}

void remove_cgroups(const std::vector<std::string>& leaves) noexcept {
  for (const auto& leaf : leaves) ::rmdir(leaf.c_str());
}

}  // namespace pyro_jailer

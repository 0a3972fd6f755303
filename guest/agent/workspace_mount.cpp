// `workspace_mount` and `sync`: attaching the workspace disk, flushing it and, before
// the VM stops, leaving it clean.
#include <fcntl.h>
#include <signal.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "agent_error.hpp"
#include "fs.hpp"
#include "fs_params.hpp"

namespace pyro::agent {

using nlohmann::json;

namespace {

std::string absolute_param(const json& params, const char* name, const char* fallback) {
  std::string value = fallback;
  if (auto it = params.find(name); it != params.end() && !it->is_null()) {
    if (!it->is_string()) invalid_param("workspace_mount", std::string("`") + name + "` is not a string");
    value = it->get<std::string>();
  }
  if (value.empty() || value.front() != '/' || value.find('\0') != std::string::npos) {
    invalid_param("workspace_mount", std::string("`") + name + "` must be an absolute path");
  }
  while (value.size() > 1 && value.back() == '/') value.pop_back();
  return value;
}

// mkdir -p; errors surface when mount() fails on the missing directory.
void make_dirs(const std::string& path) {
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    ::mkdir(path.substr(0, slash).c_str(), 0755);
    if (slash == std::string::npos) break;
  }
}

}  // namespace

json workspace_mount(Workspace& ws, const json& params, bool in_vm) {
  const std::string device = absolute_param(params, "device", "/dev/vdb");
  const std::string path = absolute_param(params, "path", "/workspace");
  struct stat st {};
  if (::stat(device.c_str(), &st) != 0) {
    throw AgentError(errno == ENOENT || errno == ENOTDIR ? "not_found" : "unavailable",
                     "workspace_mount: device `" + device + "`: " + std::strerror(errno));
  }
  if (!S_ISBLK(st.st_mode)) {
    throw AgentError("failed_precondition", "workspace_mount: `" + device + "` is not a block device");
  }
  if (!in_vm) {
    throw AgentError("failed_precondition",
                     "workspace_mount: the agent is not PID 1 of a VM; refusing to mount on this machine");
  }
  std::unique_lock<std::shared_mutex> writing(ws.lock());
  if (is_mount_point(path)) {
    ws.set_mounted_root(path);
    return json::object();
  }
  // A clone restored from a memory snapshot may hold page-cache blocks of the disk
  // its template saw (a placeholder); drop them before the file system reads any.
  int fd = ::open(device.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw AgentError("unavailable", "workspace_mount: open `" + device + "`: " + std::strerror(errno));
  }
  if (::ioctl(fd, BLKFLSBUF, 0) != 0) {
    int err = errno;
    ::close(fd);
    throw AgentError("unavailable", "workspace_mount: flush buffers of `" + device + "`: " + std::strerror(err));
  }
  ::close(fd);
  make_dirs(path);
  if (::mount(device.c_str(), path.c_str(), "ext4", MS_NOATIME, "") != 0) {
    throw AgentError("unavailable", "workspace_mount: mount `" + device + "` on `" + path +
                                        "` as ext4: " + std::strerror(errno));
  }
  ws.set_mounted_root(path);
  return json::object();
}

json fs_sync(Workspace& ws, const json& params, bool in_vm) {
  const bool readonly = bool_param(params, "readonly", false, "sync");
  ::sync();
  if (!readonly) return json::object();
  if (!in_vm) {
    throw AgentError("failed_precondition",
                     "sync: the agent is not PID 1 of a VM; refusing to end every process on this machine");
  }
  std::unique_lock<std::shared_mutex> writing(ws.lock());
  const std::string root = ws.root();
  if (!is_mount_point(root)) return {{"readonly", false}};
  // The VM stops next: end every process (PID 1 is spared) so that no file stays
  // open for writing, then remount read-only. ext4 then marks its journal clean,
  // so a copy of the disk needs no recovery (`e2fsck -n` finds nothing).
  ::kill(-1, SIGKILL);
  constexpr int kBusyRetries = 250;  // 5 s: killed processes close their files as they exit
  for (int attempt = 0;; ++attempt) {
    if (::mount(nullptr, root.c_str(), nullptr, MS_REMOUNT | MS_RDONLY | MS_NOATIME, nullptr) == 0) break;
    if (errno != EBUSY || attempt == kBusyRetries) {
      throw AgentError("unavailable", "sync: remount `" + root + "` read-only: " + std::strerror(errno));
    }
    ::usleep(20000);
  }
  return {{"readonly", true}};
}

}  // namespace pyro::agent

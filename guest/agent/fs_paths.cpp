#include "fs_paths.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "agent_error.hpp"

namespace pyro::agent {
namespace {

constexpr std::string_view kGuestRoot = "/workspace";
constexpr int kEagainRetries = 16;  // openat2 BENEATH says EAGAIN when a rename raced it

[[noreturn]] void invalid(std::string_view op, const std::string& message) {
  throw AgentError("invalid_argument", std::string(op) + ": " + message);
}

}  // namespace

std::string workspace_path_param(const nlohmann::json& params, const char* name, std::string_view op,
                                 const char* fallback) {
  std::string raw;
  auto it = params.find(name);
  if (it == params.end() || it->is_null()) {
    if (!fallback) invalid(op, std::string("`") + name + "` is required");
    raw = fallback;
  } else if (!it->is_string()) {
    invalid(op, std::string("`") + name + "` is not a string");
  } else {
    raw = it->get<std::string>();
  }
  if (raw.find('\0') != std::string::npos) invalid(op, std::string("`") + name + "` contains a NUL byte");
  std::string_view rest = raw;
  if (rest == kGuestRoot) {
    rest = "";
  } else if (rest.substr(0, kGuestRoot.size() + 1) == std::string(kGuestRoot) + "/") {
    rest.remove_prefix(kGuestRoot.size() + 1);
  } else if (!rest.empty() && rest.front() == '/') {
    invalid(op, "`" + raw + "` is absolute; paths are relative to " + std::string(kGuestRoot));
  }
  std::string out;
  size_t start = 0;
  while (start <= rest.size()) {
    size_t end = rest.find('/', start);
    if (end == std::string_view::npos) end = rest.size();
    std::string_view part = rest.substr(start, end - start);
    if (part == "..") invalid(op, "`" + raw + "` has a `..` component");
    if (!part.empty() && part != ".") {
      if (!out.empty()) out.push_back('/');
      out.append(part);
    }
    start = end + 1;
  }
  return out;
}

std::string shown(const std::string& rel) { return rel.empty() ? "." : rel; }

int open_beneath(int root, const std::string& rel, int flags, mode_t mode) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  const char* path = rel.empty() ? "." : rel.c_str();
  for (int i = 0;; ++i) {
    long fd = ::syscall(SYS_openat2, root, path, &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    if ((errno == EAGAIN || errno == EINTR) && i < kEagainRetries) continue;
    return -1;
  }
}

void throw_resolve_error(std::string_view op, const std::string& rel, int err) {
  std::string where = std::string(op) + " `" + shown(rel) + "`: ";
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      throw AgentError("not_found", where + "not found");
    case EXDEV:
      throw AgentError("invalid_argument", where + "escapes " + std::string(kGuestRoot));
    case ELOOP:
      throw AgentError("invalid_argument", where + "too many levels of symbolic links");
    default:
      throw_fs_error(op, rel, err);
  }
}

void throw_fs_error(std::string_view op, const std::string& rel, int err) {
  std::string where = std::string(op) + " `" + shown(rel) + "`: " + std::strerror(err);
  switch (err) {
    case ENOENT:
      throw AgentError("not_found", where);
    case EEXIST:
      throw AgentError("already_exists", where);
    case EACCES:
    case EPERM:
    case EROFS:
      throw AgentError("permission_denied", where);
    case ENOSPC:
    case EDQUOT:
    case EMLINK:
    case EFBIG:
      throw AgentError("resource_exhausted", where);
    case ENOTDIR:
    case EISDIR:
    case ENOTEMPTY:
    case EXDEV:
    case EBUSY:
      throw AgentError("failed_precondition", where);
    case ENAMETOOLONG:
    case EINVAL:
      throw AgentError("invalid_argument", where);
    default:
      throw AgentError("internal", where);
  }
}

std::string parent_of(const std::string& rel) {
  size_t slash = rel.rfind('/');
  return slash == std::string::npos ? "" : rel.substr(0, slash);
}

std::string join(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

bool open_parent(int root, const std::string& rel, ParentRef& out) {
  size_t slash = rel.rfind('/');
  out.name = slash == std::string::npos ? rel : rel.substr(slash + 1);
  out.dir.reset(open_beneath(root, parent_of(rel), O_PATH | O_DIRECTORY));
  return out.dir.valid();
}

ParentRef open_parent_or_throw(int root, const std::string& rel, std::string_view op) {
  ParentRef p;
  if (!open_parent(root, rel, p)) throw_resolve_error(op, rel, errno);
  return p;
}

bool lstat_beneath(int root, const std::string& rel, struct stat& st) {
  if (rel.empty()) return ::fstat(root, &st) == 0;
  ParentRef p;
  if (!open_parent(root, rel, p)) return false;
  return ::fstatat(p.dir.get(), p.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

}  // namespace pyro::agent

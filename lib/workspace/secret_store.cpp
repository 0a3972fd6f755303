#include "workspace/secret_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "pyro/error.hpp"
#include "util/unique_fd.hpp"
#include "workspace/workspace_store.hpp"

namespace pyro::detail {
namespace {

[[noreturn]] void invalid(const std::string& message) { throw Error(ErrorCode::kInvalidArgument, message); }

void check_value(const std::string& name, const std::string& value, const char* source) {
  if (value.empty() || value.size() > WorkspaceLimits::kMaxSecretBytes) {
    invalid(fmt::format("check secret `{}`: its {} has {} bytes, not 1..{}", name, source, value.size(),
                        WorkspaceLimits::kMaxSecretBytes));
  }
  if (value.find('\0') != std::string::npos) {
    invalid(fmt::format("check secret `{}`: its {} contains a NUL byte", name, source));
  }
}

// Reads `fd` to its end or to `limit` bytes; errors name `what`, never the content.
std::string read_fd(int fd, size_t limit, const std::string& what) {
  std::string value;
  char buf[8192];
  while (value.size() < limit) {
    ssize_t n = ::read(fd, buf, std::min(sizeof buf, limit - value.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(ErrorCode::kInternal, fmt::format("read {}: {}", what, std::strerror(errno)));
    if (n == 0) break;
    value.append(buf, static_cast<size_t>(n));
  }
  return value;
}

// Reads a secret file once; errors name the path, never the content.
std::string read_secret_file(const std::string& name, const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    const int err = errno;
    const ErrorCode code = err == ENOENT    ? ErrorCode::kNotFound
                           : err == EACCES || err == EPERM ? ErrorCode::kPermissionDenied
                                                           : ErrorCode::kInvalidArgument;
    throw Error(code, fmt::format("read secret `{}` from `{}`: {}", name, path, std::strerror(err)));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    invalid(fmt::format("read secret `{}` from `{}`: not a regular file", name, path));
  }
  // One byte more than allowed is enough for check_value to report the size.
  return read_fd(fd.get(), WorkspaceLimits::kMaxSecretBytes + 1, fmt::format("secret `{}` from `{}`", name, path));
}

void write_all_fd(int fd, const std::string& data, const std::string& what) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      throw Error(errno == ENOSPC ? ErrorCode::kResourceExhausted : ErrorCode::kInternal,
                  fmt::format("write `{}`: {}", what, std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
}

}  // namespace

bool is_env_var_name(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_') || static_cast<unsigned char>(c) > 127) return false;
  }
  return true;
}

SecretValues load_secret_inputs(const std::vector<WorkspaceSecret>& secrets) {
  if (secrets.size() > WorkspaceLimits::kMaxSecrets) {
    invalid(fmt::format("check `secrets`: {} secrets, at most {}", secrets.size(), WorkspaceLimits::kMaxSecrets));
  }
  SecretValues values;
  for (const WorkspaceSecret& s : secrets) {
    validate_workspace_name("secrets name", s.name, /*allow_id_shape=*/true);
    if (values.count(s.name)) invalid(fmt::format("check `secrets`: the name `{}` is given twice", s.name));
    if (s.value.empty() == s.file_path.empty()) {
      invalid(fmt::format("check secret `{}`: give exactly one of `value` and `file_path`", s.name));
    }
    std::string value = s.file_path.empty() ? s.value : read_secret_file(s.name, s.file_path);
    check_value(s.name, value, s.file_path.empty() ? "value" : "file");
    values.emplace(s.name, std::move(value));
  }
  return values;
}

void write_secrets(const std::string& workspace_dir, const SecretValues& values) {
  if (values.empty()) return;
  const std::string dir = workspace_dir + "/secrets";
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw Error(ErrorCode::kInternal, fmt::format("create `{}`: {}", dir, std::strerror(errno)));
  }
  ::chmod(dir.c_str(), 0700);  // whatever the umask said
  for (const auto& [name, value] : values) {
    const std::string path = dir + "/" + name;
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) throw Error(ErrorCode::kInternal, fmt::format("create `{}`: {}", path, std::strerror(errno)));
    ::fchmod(fd.get(), 0600);
    write_all_fd(fd.get(), value, path);
    if (::fsync(fd.get()) != 0) {
      throw Error(ErrorCode::kInternal, fmt::format("sync `{}`: {}", path, std::strerror(errno)));
    }
  }
}

SecretValues read_secrets(const std::string& workspace_dir, const std::vector<std::string>& names) {
  SecretValues values;
  for (const std::string& name : names) {
    const std::string path = workspace_dir + "/secrets/" + name;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
      throw Error(ErrorCode::kInternal,
                  fmt::format("read secret `{}` of the workspace from `{}`: {}", name, path, std::strerror(errno)));
    }
    values.emplace(name, read_fd(fd.get(), WorkspaceLimits::kMaxSecretBytes,
                                 fmt::format("secret `{}` of the workspace from `{}`", name, path)));
  }
  return values;
}

std::map<std::string, std::string> merge_secret_env(const std::map<std::string, std::string>& env,
                                                    const std::map<std::string, std::string>& secret_env,
                                                    const SecretValues& secrets, const std::string& workspace_id) {
  std::map<std::string, std::string> merged = env;
  for (const auto& [var, secret] : secret_env) {
    if (!is_env_var_name(var)) {
      invalid(fmt::format("check `secret_env`: `{}` is not a variable name ([A-Za-z_][A-Za-z0-9_]*)", var));
    }
    if (env.count(var)) invalid(fmt::format("check `secret_env`: `{}` is also in `env`; give it once", var));
    auto it = secrets.find(secret);
    if (it == secrets.end()) {
      throw Error(ErrorCode::kNotFound,
                  fmt::format("check `secret_env`: `{}` wants the secret `{}`, but there is no secret named `{}` in "
                              "workspace `{}`",
                              var, secret, secret, workspace_id));
    }
    merged[var] = it->second;
  }
  return merged;
}

}  // namespace pyro::detail

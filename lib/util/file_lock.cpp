#include "util/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "pyro/error.hpp"

namespace pyro::detail {
namespace {

UniqueFd open_lock_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) {
    throw Error(errno == EACCES ? ErrorCode::kPermissionDenied : ErrorCode::kInternal,
                fmt::format("open lock file `{}`: {}", path, std::strerror(errno)));
  }
  return fd;
}

}  // namespace

FileLock FileLock::acquire(const std::string& path) {
  UniqueFd fd = open_lock_file(path);
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) {
      throw Error(ErrorCode::kInternal, fmt::format("lock `{}`: {}", path, std::strerror(errno)));
    }
  }
  return FileLock(std::move(fd));
}

FileLock FileLock::try_acquire(const std::string& path) {
  UniqueFd fd = open_lock_file(path);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) return FileLock(UniqueFd());
  return FileLock(std::move(fd));
}

}  // namespace pyro::detail

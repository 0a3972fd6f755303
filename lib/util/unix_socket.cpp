#include "util/unix_socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "pyro/error.hpp"

namespace pyro::detail {
namespace {

std::error_code last_error() { return std::error_code(errno, std::system_category()); }

bool make_address(const std::string& path, sockaddr_un& addr) {
  std::memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() > max_unix_socket_path()) return false;
  std::memcpy(addr.sun_path, path.data(), path.size());
  return true;
}

// Waits for `events` on `fd`; false when the deadline passed first.
bool wait_for(int fd, short events, Deadline deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, poll_timeout_ms(deadline));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return true;  // let the following syscall report the error
  }
}

}  // namespace

size_t max_unix_socket_path() { return sizeof(sockaddr_un::sun_path) - 1; }

UniqueFd connect_unix(const std::string& path, std::error_code& ec) {
  sockaddr_un addr;
  if (!make_address(path, addr)) {
    ec = std::make_error_code(std::errc::filename_too_long);
    return {};
  }
  // Never through a symbolic link: the socket may sit in a directory a jailed VMM can
  // write (docs/jail.md), which could swap it for a link to any socket we can reach.
  // The socket is opened without following links and connected through /proc.
  UniqueFd target(::open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!target) {
    ec = last_error();  // ENOENT: not listening yet
    return {};
  }
  struct stat st {};
  if (::fstat(target.get(), &st) != 0 || !S_ISSOCK(st.st_mode)) {
    ec = std::make_error_code(std::errc::connection_refused);  // a link or a plain file: not a listener
    return {};
  }
  sockaddr_un via;
  const std::string proc_path = "/proc/self/fd/" + std::to_string(target.get());
  const bool through_proc = ::access("/proc/self/fd", X_OK) == 0 && make_address(proc_path, via);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) {
    ec = last_error();
    return {};
  }
  const sockaddr_un& dest = through_proc ? via : addr;
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&dest), sizeof(dest));
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    ec = last_error();  // EAGAIN: the listener's backlog is full; callers retry
    return {};
  }
  ec.clear();
  return fd;
}

UniqueFd listen_unix(const std::string& path, int backlog) {
  sockaddr_un addr;
  if (!make_address(path, addr)) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("listen on `{}`: path is empty or longer than {} bytes", path,
                            max_unix_socket_path()));
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) throw Error(ErrorCode::kUnavailable, fmt::format("create socket: {}", std::strerror(errno)));
  ::unlink(path.c_str());
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0 ||
      ::listen(fd.get(), backlog) < 0) {
    throw Error(ErrorCode::kUnavailable, fmt::format("listen on `{}`: {}", path, std::strerror(errno)));
  }
  return fd;
}

UniqueFd accept_unix(int listen_fd, Deadline deadline) {
  for (;;) {
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd >= 0) return UniqueFd(fd);
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      throw Error(ErrorCode::kUnavailable, fmt::format("accept connection: {}", std::strerror(errno)));
    }
    if (!wait_for(listen_fd, POLLIN, deadline)) {
      throw Error(ErrorCode::kDeadlineExceeded, "accept connection: deadline exceeded");
    }
  }
}

void write_all(int fd, std::string_view data, Deadline deadline, std::string_view what) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      throw Error(ErrorCode::kUnavailable, fmt::format("write to {}: {}", what, std::strerror(errno)));
    }
    if (!wait_for(fd, POLLOUT, deadline)) {
      throw Error(ErrorCode::kDeadlineExceeded, fmt::format("write to {}: deadline exceeded", what));
    }
  }
}

size_t read_some(int fd, char* buf, size_t size, Deadline deadline, std::string_view what) {
  for (;;) {
    ssize_t n = ::recv(fd, buf, size, 0);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      throw Error(ErrorCode::kUnavailable, fmt::format("read from {}: {}", what, std::strerror(errno)));
    }
    if (!wait_for(fd, POLLIN, deadline)) {
      throw Error(ErrorCode::kDeadlineExceeded, fmt::format("read from {}: deadline exceeded", what));
    }
  }
}

}  // namespace pyro::detail

// Finding and opening the agent port.
#include "port.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "log.hpp"

namespace pyro::agent {
namespace {

void on_sigio(int) {}  // a handler (not SIG_DFL) so that SIGIO only interrupts ppoll

bool sigio_armed = false;     // notify_host_changes() succeeded
bool sigio_missed = false;    // a host connected without a SIGIO: poll from now on
sigset_t wait_mask;           // the waiting thread's mask, with SIGIO open
constexpr struct timespec kSigioSafety = {5, 0};

bool host_connected(int fd) {
  pollfd p{fd, POLLOUT, 0};
  const int r = ::poll(&p, 1, 0);
  if (r > 0 && (p.revents & POLLNVAL)) return true;  // let the caller's IO report it
  return r > 0 && (p.revents & POLLOUT) && !(p.revents & POLLHUP);
}

}  // namespace

std::string find_virtio_port(const std::string& name) {
  try {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/sys/class/virtio-ports", ec)) {
      std::ifstream in(entry.path() / "name");
      std::string line;
      if (std::getline(in, line) && line == name) {
        return "/dev/" + entry.path().filename().string();
      }
    }
  } catch (const std::exception&) {
    // A port vanishing mid-scan (hot-unplug) is just "not present yet".
  }
  return "";
}

int open_port(const std::string& path) {
  return ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
}

void notify_host_changes(int fd) {
  struct sigaction action {};
  action.sa_handler = on_sigio;
  sigemptyset(&action.sa_mask);
  sigset_t io;
  sigemptyset(&io);
  sigaddset(&io, SIGIO);
  sigset_t previous;
  if (::sigaction(SIGIO, &action, nullptr) != 0 || ::pthread_sigmask(SIG_BLOCK, &io, &previous) != 0) {
    log_line(std::string("SIGIO for host connections: ") + std::strerror(errno) + "; polling instead");
    return;
  }
  f_owner_ex owner{F_OWNER_TID, ::gettid()};
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETOWN_EX, &owner) != 0 || ::fcntl(fd, F_SETFL, flags | O_ASYNC) != 0) {
    log_line(std::string("SIGIO for host connections: ") + std::strerror(errno) + "; polling instead");
    return;
  }
  wait_mask = previous;
  sigdelset(&wait_mask, SIGIO);
  sigio_armed = true;
}

void wait_host_connected(int fd) {
  while (sigio_armed && !sigio_missed) {
    if (host_connected(fd)) return;
    // SIGIO stays blocked but while ppoll waits: one that came since the look above
    // is pending and ends the wait at once.
    if (::ppoll(nullptr, 0, &kSigioSafety, &wait_mask) == 0 && host_connected(fd)) {
      log_line("a host connected without a SIGIO; polling for host connections from now on");
      sigio_missed = true;
      return;
    }
  }
  for (;;) {
    pollfd p{fd, POLLOUT, 0};
    int r = ::poll(&p, 1, 50);
    if (r > 0 && (p.revents & POLLOUT) && !(p.revents & POLLHUP)) return;
    if (r > 0 && (p.revents & POLLNVAL)) return;  // let the caller's IO report it
    if (r != 0) ::usleep(50'000);  // POLLHUP returns at once: do not spin
  }
}

int dup_port(int fd) { return ::fcntl(fd, F_DUPFD_CLOEXEC, 3); }

size_t drain_port(int fd, int quiet_ms) {
  size_t dropped = 0;
  char buf[16 * 1024];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, quiet_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0 || !(p.revents & POLLIN)) return dropped;  // quiet, or the host is gone
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return dropped;
    dropped += static_cast<size_t>(n);
  }
}

int connect_unix(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    ::close(fd);
    errno = err;
    return -1;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

}  // namespace pyro::agent

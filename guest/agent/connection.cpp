// Frame writes serialised by a mutex, on a non-blocking fd so close() cannot hang.
#include "connection.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "log.hpp"

namespace pyro::agent {
namespace {
// The host reads continuously; no progress for this long means nobody is reading.
constexpr std::chrono::milliseconds kWriteStallLimit{5000};
}  // namespace

Connection::~Connection() { close(); }

bool Connection::send(const protocol::Frame& frame) noexcept {
  std::string bytes;
  try {
    bytes = protocol::encode_frame(frame);
  } catch (const std::exception& e) {
    log_line(std::string("encode frame: ") + e.what());
    return false;
  }
  std::lock_guard lock(write_mu_);
  if (fd_ < 0 || broken_) return false;
  if (!write_locked(bytes)) {
    broken_ = true;  // a torn frame leaves the stream unusable: no more writes
    return false;
  }
  return true;
}

bool Connection::write_locked(const std::string& bytes) noexcept {
  size_t done = 0;
  auto last_progress = std::chrono::steady_clock::now();
  while (done < bytes.size()) {
    ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      last_progress = std::chrono::steady_clock::now();
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
    // Port full: wait for room, but wake up regularly to notice close().
    if (closing_.load()) return false;
    // A host that hung up mid-write may leave the port neither writable nor hung
    // up; waiting forever would wedge the thread (the reader, for inline replies).
    if (std::chrono::steady_clock::now() - last_progress > kWriteStallLimit) {
      log_line("write to the host stalled for " + std::to_string(kWriteStallLimit.count()) +
               " ms; dropping the connection");
      return false;
    }
    pollfd p{fd_, POLLOUT, 0};
    int r = ::poll(&p, 1, 100);
    if (r > 0 && !(p.revents & POLLOUT) && (p.revents & (POLLHUP | POLLERR | POLLNVAL))) {
      return false;  // peer gone; the reader sees EOF and reconnects
    }
  }
  return true;
}

void Connection::close() noexcept {
  closing_.store(true);
  std::lock_guard lock(write_mu_);
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

}  // namespace pyro::agent

// One open agent port (virtio-serial device or, in test mode, a unix socket) and
// the lock that keeps frames from different threads whole.
#pragma once

#include <atomic>
#include <mutex>
#include <string>

#include "protocol/frame.hpp"

namespace pyro::agent {

/// Owns a non-blocking fd. send() is thread-safe; close() may be called from any
/// thread and makes writers blocked on a full port give up within ~100 ms.
class Connection {
 public:
  explicit Connection(int fd) : fd_(fd) {}
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Writes one whole frame. Returns false when the connection is closed or broken
  /// (the frame is then dropped: its stream died with the connection).
  bool send(const protocol::Frame& frame) noexcept;

  /// Closes the fd once no send() is in progress. Idempotent.
  void close() noexcept;

  /// The fd, for the single reader thread.
  int fd() const noexcept { return fd_; }

 private:
  bool write_locked(const std::string& bytes) noexcept;

  int fd_;
  std::mutex write_mu_;
  std::atomic<bool> closing_{false};
  bool broken_ = false;  // guarded by write_mu_
};

}  // namespace pyro::agent

// The running `exec` commands by connection and stream, so that `exec_cancel`
// can stop one (docs/agent-protocol.md, "exec_cancel").
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

namespace pyro::agent {

class Connection;

/// Fired once by `exec_cancel`; its fd (an eventfd) then polls readable, so the
/// exec loop watches it next to its pipes.
class CancelFlag {
 public:
  CancelFlag();  // throws std::system_error when no eventfd is available
  ~CancelFlag();
  CancelFlag(const CancelFlag&) = delete;
  CancelFlag& operator=(const CancelFlag&) = delete;

  int fd() const noexcept { return fd_; }
  void fire() noexcept;

 private:
  int fd_;
};

class ExecCancels {
 public:
  /// Registers the exec of `stream` on `conn`. Called by the reader thread before
  /// the exec's own thread starts, so a cancel read right after it finds it.
  std::shared_ptr<CancelFlag> enter(const Connection* conn, uint32_t stream);
  /// Forgets it (the exec answered).
  void leave(const Connection* conn, uint32_t stream) noexcept;
  /// Fires the flag of that exec; false when no such exec runs.
  bool cancel(const Connection* conn, uint32_t stream) noexcept;

 private:
  using Key = std::pair<const Connection*, uint32_t>;
  std::mutex mu_;
  std::map<Key, std::shared_ptr<CancelFlag>> running_;
};

}  // namespace pyro::agent

// A client for QEMU's machine protocol (QMP) over a unix socket. Used for `quit`
// and for snapshots (stop, migrate, query-migrate, cont).
//
//   QmpClient qmp = QmpClient::connect(run_dir + "/qmp.sock", deadline_after(5s), keep_trying);
//   nlohmann::json status = qmp.execute("query-status", {}, deadline_after(1s));
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pyro/error.hpp"
#include "util/deadline.hpp"
#include "util/unique_fd.hpp"

namespace pyro::detail {

/// QEMU answered a command with {"error": {"class": ..., "desc": ...}}.
class QmpCommandError : public Error {
 public:
  QmpCommandError(const std::string& command, std::string error_class, const std::string& desc);
  const std::string& error_class() const noexcept { return error_class_; }

 private:
  std::string error_class_;
};

/// Not thread-safe: one command at a time (callers serialize).
class QmpClient {
 public:
  /// Connects (retrying while the socket does not exist yet or refuses), reads the
  /// greeting and negotiates capabilities. `keep_trying` is asked between attempts
  /// (e.g. "is the VMM still alive?"); when it says false, connect gives up with
  /// Error(kUnavailable). Throws Error(kDeadlineExceeded) at the deadline.
  static QmpClient connect(const std::string& socket_path, Deadline deadline,
                           const std::function<bool()>& keep_trying = {});

  QmpClient(QmpClient&&) noexcept = default;
  QmpClient& operator=(QmpClient&&) noexcept = default;

  /// Runs `command` and returns its "return" value. Asynchronous events that arrive
  /// meanwhile are kept (see take_events). Throws QmpCommandError for an error
  /// reply, Error(kDeadlineExceeded) at the deadline, Error(kUnavailable) when
  /// the connection closes.
  nlohmann::json execute(const std::string& command, const nlohmann::json& arguments,
                         Deadline deadline);
  nlohmann::json execute(const std::string& command, Deadline deadline) {
    return execute(command, nlohmann::json(), deadline);
  }

  /// Like execute, with `fd` passed along (SCM_RIGHTS), as `getfd` expects.
  nlohmann::json execute_with_fd(const std::string& command, const nlohmann::json& arguments, int fd,
                                 Deadline deadline);

  /// The greeting's {"QMP": {...}} object (QEMU version, capabilities).
  const nlohmann::json& greeting() const noexcept { return greeting_; }

  /// Events received so far, oldest first; clears the list.
  std::vector<nlohmann::json> take_events();

 private:
  QmpClient(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  nlohmann::json read_message(Deadline deadline);
  nlohmann::json send_and_wait(const std::string& command, const nlohmann::json& arguments, int fd,
                               Deadline deadline);

  UniqueFd fd_;
  std::string path_;
  std::string buffer_;  // bytes received but not yet parsed
  nlohmann::json greeting_;
  std::vector<nlohmann::json> events_;
  uint64_t next_id_ = 1;
};

}  // namespace pyro::detail

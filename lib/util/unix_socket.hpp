// Unix stream sockets with deadlines: connect, listen, and reads and writes that
// never block past a deadline. Descriptors are non-blocking and close-on-exec.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>

#include "util/deadline.hpp"
#include "util/unique_fd.hpp"

namespace pyro::detail {

/// Longest path a sockaddr_un can hold (without the terminating NUL).
size_t max_unix_socket_path();

/// Connects once; on failure returns an invalid fd and sets `ec` (ENOENT and
/// ECONNREFUSED mean "not listening yet").
UniqueFd connect_unix(const std::string& path, std::error_code& ec);

/// Binds and listens at `path`, replacing a stale socket file. Throws Error(kUnavailable).
UniqueFd listen_unix(const std::string& path, int backlog = 8);

/// Accepts one connection. Throws Error(kDeadlineExceeded) when none arrives in time.
UniqueFd accept_unix(int listen_fd, Deadline deadline);

/// Writes all of `data`. Throws Error(kDeadlineExceeded) or Error(kUnavailable)
/// (peer gone); `what` names the peer in messages.
void write_all(int fd, std::string_view data, Deadline deadline, std::string_view what);

/// Reads what is available (at least one byte), or returns 0 at end of stream.
/// Throws Error(kDeadlineExceeded) or Error(kUnavailable).
size_t read_some(int fd, char* buf, size_t size, Deadline deadline, std::string_view what);

}  // namespace pyro::detail

// Reads newline-terminated lines from a file descriptor with a timeout, so the
// server's loop can notice a signal while the client is silent.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace pyro_mcp {

class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}

  /// The next line without its "\n" (and "\r"), or nullopt when none arrived
  /// within `timeout` or the input ended (see eof()). A last line without a
  /// newline is returned at end of input. Throws std::system_error on a read error.
  std::optional<std::string> next(std::chrono::milliseconds timeout);
  bool eof() const { return eof_ && buffer_.empty(); }

 private:
  std::optional<std::string> take_line();

  int fd_;
  std::string buffer_;
  bool eof_ = false;
};

}  // namespace pyro_mcp

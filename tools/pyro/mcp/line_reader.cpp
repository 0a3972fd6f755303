#include "mcp/line_reader.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace pyro_mcp {

std::optional<std::string> LineReader::take_line() {
  size_t newline = buffer_.find('\n');
  if (newline == std::string::npos) {
    if (!eof_ || buffer_.empty()) return std::nullopt;
    newline = buffer_.size();  // the last line had no newline
  }
  std::string line = buffer_.substr(0, newline);
  buffer_.erase(0, newline + 1 > buffer_.size() ? buffer_.size() : newline + 1);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::optional<std::string> LineReader::next(std::chrono::milliseconds timeout) {
  if (auto line = take_line()) return line;
  if (eof_) return std::nullopt;
  pollfd pfd{fd_, POLLIN, 0};
  int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  if (ready < 0) {
    if (errno == EINTR) return std::nullopt;
    throw std::system_error(errno, std::generic_category(), "poll stdin");
  }
  if (ready == 0) return std::nullopt;
  char chunk[65536];
  ssize_t n = ::read(fd_, chunk, sizeof chunk);
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return std::nullopt;
    throw std::system_error(errno, std::generic_category(), "read stdin");
  }
  if (n == 0) {
    eof_ = true;
  } else {
    buffer_.append(chunk, static_cast<size_t>(n));
  }
  return take_line();
}

}  // namespace pyro_mcp

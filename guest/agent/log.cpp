// One-line diagnostics to stderr.
#include "log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <string>

namespace pyro::agent {

void log_line(std::string_view message) noexcept {
  try {
    std::string line = "pyro-agent: ";
    line.append(message);
    line.push_back('\n');
    // Best effort: a console that cannot take the line is not worth failing over,
    // nor worth waiting for (a stuck serial console must not stall the agent).
    static const bool nonblocking = [] {
      int flags = ::fcntl(STDERR_FILENO, F_GETFL);
      return flags >= 0 && ::fcntl(STDERR_FILENO, F_SETFL, flags | O_NONBLOCK) == 0;
    }();
    (void)nonblocking;
    ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
    (void)n;
  } catch (...) {
  }
}

}  // namespace pyro::agent

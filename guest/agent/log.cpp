// One-line diagnostics to stderr.
#include "log.hpp"

#include <unistd.h>

#include <string>

namespace pyro::agent {

void log_line(std::string_view message) noexcept {
  try {
    std::string line = "pyro-agent: ";
    line.append(message);
    line.push_back('\n');
    // Best effort: a console that cannot take the line is not worth failing over.
    ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
    (void)n;
  } catch (...) {
  }
}

}  // namespace pyro::agent

#include "output.hpp"

#include <cerrno>
#include <string>
#include <system_error>

#include <fmt/format.h>

namespace pyro_cli {

void write_bytes(std::FILE* stream, std::string_view bytes) {
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), stream) != bytes.size()) {
    throw std::system_error(errno, std::generic_category(),
                            stream == stdout ? "write stdout" : "write stderr");
  }
  if (std::fflush(stream) != 0) {
    throw std::system_error(errno, std::generic_category(),
                            stream == stdout ? "write stdout" : "write stderr");
  }
}

void print_json_line(const nlohmann::json& doc) {
  std::string line = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  write_bytes(stdout, line);
}

std::string format_size(uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (bytes < (1ull << 20)) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024);
  if (bytes < (1ull << 30)) {
    return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1ull << 20));
  }
  return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1ull << 30));
}

std::string format_installed_line(const pyro::EnvironmentInfo& e) {
  return fmt::format("{}: installed at {} (sha256 {}, {})\n", e.name, e.path,
                     e.sha256.substr(0, 12), format_size(e.size_bytes));
}

pyro::ProgressHandler stderr_progress() {
  return [](std::string_view message) {
    // One write per line, so progress never interleaves with log lines.
    std::string line = fmt::format("pyro: {}\n", message);
    std::fwrite(line.data(), 1, line.size(), stderr);
  };
}

}  // namespace pyro_cli

#include "output.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "pyro/error.hpp"

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

std::string read_host_input(const std::string& path, std::string_view what) {
  if (path == "-") {
    std::ostringstream buf;
    buf << std::cin.rdbuf();
    return buf.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    throw pyro::Error(err == ENOENT ? pyro::ErrorCode::kNotFound : pyro::ErrorCode::kInvalidArgument,
                      fmt::format("read {} `{}`: {}", what, path, std::strerror(err)));
  }
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    throw pyro::Error(pyro::ErrorCode::kInvalidArgument, fmt::format("read {} `{}`: read failed", what, path));
  }
  return data;
}

std::string format_size(uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (bytes < (1ull << 20)) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024);
  if (bytes < (1ull << 30)) {
    return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1ull << 20));
  }
  return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1ull << 30));
}


}  // namespace pyro_cli

#include "util/disk_usage.hpp"

#include <sys/stat.h>

#include <filesystem>

namespace pyro::detail {
namespace fs = std::filesystem;

uint64_t allocated_bytes(const std::string& path) noexcept {
  auto blocks = [](const fs::path& p) -> uint64_t {
    struct stat st {};
    return ::lstat(p.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_blocks) * 512 : 0;
  };
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(path, ec))) return blocks(path);
  uint64_t total = 0;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    total += blocks(it->path());
  }
  return total;
}

}  // namespace pyro::detail

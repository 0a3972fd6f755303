#include "util/private_dir.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <filesystem>

namespace pyro::detail {

std::error_code make_private_dir(const std::string& path) noexcept {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return ec;
  if (::chmod(path.c_str(), 0700) != 0) return {errno, std::generic_category()};
  return {};
}

}  // namespace pyro::detail

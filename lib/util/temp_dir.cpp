#include "util/temp_dir.hpp"

#include <stdlib.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "pyro/error.hpp"

namespace pyro::detail {

TempDir::TempDir(const std::filesystem::path& parent, std::string_view prefix, std::string_view what) {
  std::string pattern = (parent / (std::string(prefix) + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw Error(errno == ENOSPC ? ErrorCode::kResourceExhausted : ErrorCode::kInternal,
                fmt::format("{}: create temporary directory in `{}`: {}", what, parent.string(), std::strerror(errno)));
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace pyro::detail

#include "env/archive_util.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace pyro::detail {

std::string archive_message(archive* a) {
  const char* msg = archive_error_string(a);
  std::string out = msg ? msg : "unknown libarchive error";
  const int err = archive_errno(a);
  if (err > 0 && out.find(std::strerror(err)) == std::string::npos) out += fmt::format(": {}", std::strerror(err));
  return out;
}

ErrorCode code_for_errno(int err) {
  return err == ENOSPC || err == EDQUOT ? ErrorCode::kResourceExhausted : ErrorCode::kInternal;
}

}  // namespace pyro::detail

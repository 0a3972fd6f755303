#include "workspace/workspace_path.hpp"

#include <fmt/format.h>

#include "pyro/error.hpp"
#include "util/relative_path.hpp"

namespace pyro::detail {

std::string workspace_relative_path(std::string_view path, std::string_view what) {
  auto refuse = [&](std::string_view why) {
    return Error(ErrorCode::kInvalidArgument, fmt::format("check `{}`: `{}` {}", what, path, why));
  };
  if (path.find('\0') != std::string_view::npos) throw refuse("contains a NUL byte");
  std::string_view rest = path;
  if (!rest.empty() && rest.front() == '/') {
    constexpr std::string_view kRoot = "/workspace";
    if (rest.substr(0, kRoot.size()) != kRoot || (rest.size() > kRoot.size() && rest[kRoot.size()] != '/')) {
      throw refuse("is outside /workspace");
    }
    rest.remove_prefix(kRoot.size());
  }
  while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);  // "/workspace/x" -> "x"
  auto normalized = normalize_relative_path(rest);
  if (!normalized) throw refuse("has a `..` component");
  return *normalized;
}

}  // namespace pyro::detail

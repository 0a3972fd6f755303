#include "workspace/workspace_path.hpp"

#include <fmt/format.h>

#include "pyro/error.hpp"

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
  std::string out;
  while (!rest.empty()) {
    const size_t slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") throw refuse("has a `..` component");
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

}  // namespace pyro::detail

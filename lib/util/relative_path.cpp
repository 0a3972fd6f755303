#include "util/relative_path.hpp"

namespace pyro::detail {

std::optional<std::string> normalize_relative_path(std::string_view path) {
  if (!path.empty() && path.front() == '/') return std::nullopt;
  std::string out;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    const std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") return std::nullopt;
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

}  // namespace pyro::detail

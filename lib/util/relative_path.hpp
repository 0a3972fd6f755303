// The one normalisation of a '/'-separated path below some root (an archive's
// root, a workspace's root): `.` components and repeated or trailing slashes go.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pyro::detail {

/// "./a//b/" -> "a/b", "" or "." -> "" (the root itself); nothing when `path`
/// is absolute or has a `..` component.
std::optional<std::string> normalize_relative_path(std::string_view path);

}  // namespace pyro::detail

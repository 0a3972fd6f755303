// The one rule for paths that name something under /workspace, on every surface:
// relative ("src/a.c"), or absolute within it ("/workspace/src/a.c"). The guest
// agent enforces the same rule again where the file system is (symlinks included).
#pragma once

#include <string>
#include <string_view>

namespace pyro::detail {

/// `path` relative to /workspace, normalised ("./a//b/" -> "a/b", "/workspace" -> "").
/// Throws Error(kInvalidArgument) for `..` components, NUL bytes, and absolute
/// paths outside /workspace; `what` names the parameter in the message.
std::string workspace_relative_path(std::string_view path, std::string_view what = "path");

}  // namespace pyro::detail

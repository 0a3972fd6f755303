// Workspace paths (docs/agent-protocol.md, "Workspace paths"): validating the
// relative `path` params of the fs_* methods and resolving them confined beneath the
// workspace root with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), so neither
// ".." nor a symlink can reach outside it.
#pragma once

#include <sys/stat.h>

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/unique_fd.hpp"

namespace pyro::agent {

using detail::UniqueFd;

/// Normalises the string param `name` of `params` (missing: `fallback` if given,
/// else an error) to a relative path: "a/b", or "" for the root. Accepts "" and "."
/// for the root and strips a leading "/workspace/"; repeated slashes and "."
/// components are dropped. Throws AgentError `invalid_argument` (prefixed with
/// `op`) for a non-string, any other absolute path, a ".." component or a NUL byte.
std::string workspace_path_param(const nlohmann::json& params, const char* name, std::string_view op,
                                 const char* fallback = nullptr);

/// The path as shown in results and messages: "." for the root.
std::string shown(const std::string& rel);

/// openat2(root, rel or ".", flags | O_CLOEXEC) confined beneath `root`. Returns
/// -1 with errno set (EXDEV: the path escapes the root). Retries EAGAIN.
int open_beneath(int root, const std::string& rel, int flags, mode_t mode = 0);

/// Throws the AgentError for a failed *resolution or open* of `rel`: ENOENT and
/// ENOTDIR are `not_found`, EXDEV is an escape (`invalid_argument`), and so on.
[[noreturn]] void throw_resolve_error(std::string_view op, const std::string& rel, int err);

/// Throws the AgentError for a failed operation (mkdir, rename, write...) on `rel`.
[[noreturn]] void throw_fs_error(std::string_view op, const std::string& rel, int err);

/// The directory that holds `rel`'s last component, opened O_PATH beneath the root,
/// and that component's name. `rel` must not be the root.
struct ParentRef {
  UniqueFd dir;
  std::string name;
};

/// Opens the parent of `rel`. Returns false with errno set when it cannot be resolved.
bool open_parent(int root, const std::string& rel, ParentRef& out);

/// open_parent that throws (throw_resolve_error) instead.
ParentRef open_parent_or_throw(int root, const std::string& rel, std::string_view op);

/// lstat of `rel` (the root: fstat). Returns false with errno set on failure.
bool lstat_beneath(int root, const std::string& rel, struct stat& st);

/// "a/b/c" -> "a/b"; "c" -> "".
std::string parent_of(const std::string& rel);

/// Joins a relative directory and a name ("" + "x" -> "x").
std::string join(const std::string& dir, const std::string& name);

}  // namespace pyro::agent

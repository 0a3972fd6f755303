// Secrets of a workspace (docs/workspaces.md, "Secrets"): checked and read once at
// create, kept in <ws dir>/secrets/<name> (0600, in a 0700 directory) and nowhere
// else on the host; the record keeps only their names. A process gets a value only
// through `secret_env`, merged here into the env sent to the agent.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "pyro/workspace.hpp"

namespace pyro::detail {

using SecretValues = std::map<std::string, std::string>;  ///< name -> value

/// Checks `secrets` (names, uniqueness, exactly one of value and file_path, size,
/// NUL, count) and reads the files. Throws kInvalidArgument, or kNotFound /
/// kPermissionDenied naming an unreadable file (never its content).
SecretValues load_secret_inputs(const std::vector<WorkspaceSecret>& secrets);

/// Writes `values` under `<workspace_dir>/secrets/`. Throws kInternal / kResourceExhausted.
void write_secrets(const std::string& workspace_dir, const SecretValues& values);

/// The values of `names` from `<workspace_dir>/secrets/`. Throws kInternal when one is missing.
SecretValues read_secrets(const std::string& workspace_dir, const std::vector<std::string>& names);

/// `env` plus `secret_env` resolved against `secrets`. Throws kInvalidArgument (a
/// bad variable name, a variable in both maps) or kNotFound (no such secret in
/// `workspace_id`).
std::map<std::string, std::string> merge_secret_env(const std::map<std::string, std::string>& env,
                                                    const std::map<std::string, std::string>& secret_env,
                                                    const SecretValues& secrets, const std::string& workspace_id);

/// True for [A-Za-z_][A-Za-z0-9_]*.
bool is_env_var_name(const std::string& name);

}  // namespace pyro::detail

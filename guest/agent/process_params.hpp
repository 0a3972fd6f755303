// Param checks shared by the methods that start processes (exec, service_start,
// shell_open): strings, bounded integers, the environment and the working directory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace pyro::agent {

/// Throws AgentError `invalid_argument` "<method>: <message>".
[[noreturn]] void invalid_param(std::string_view method, const std::string& message);

/// A string without NUL bytes (they would cut the C string silently).
std::string param_string(const nlohmann::json& value, std::string_view method, const char* what);

/// params[name] as an integer in [min, max]; `fallback` when absent or null.
uint64_t param_uint(const nlohmann::json& params, std::string_view method, const char* name,
                    uint64_t fallback, uint64_t min, uint64_t max);

/// The base environment (PATH, HOME, LANG, TERM=`term`) with params["env"] layered
/// on top, as "NAME=value" strings.
std::vector<std::string> process_env(const nlohmann::json& params, std::string_view method,
                                     const std::string& term);

/// PATH of an environment built by process_env.
std::string env_path(const std::vector<std::string>& env);

/// Throws AgentError `not_found` unless `cwd` is a directory.
void check_cwd(const std::string& cwd, std::string_view method);

}  // namespace pyro::agent

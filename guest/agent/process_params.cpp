// Param checks shared by exec, service_start and shell_open.
#include "process_params.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "agent_error.hpp"

namespace pyro::agent {

using nlohmann::json;

void invalid_param(std::string_view method, const std::string& message) {
  throw AgentError("invalid_argument", std::string(method) + ": " + message);
}

std::string param_string(const json& value, std::string_view method, const char* what) {
  if (!value.is_string()) invalid_param(method, std::string("`") + what + "` is not a string");
  std::string s = value.get<std::string>();
  if (s.find('\0') != std::string::npos) invalid_param(method, std::string("`") + what + "` contains a NUL byte");
  return s;
}

uint64_t param_uint(const json& params, std::string_view method, const char* name, uint64_t fallback,
                    uint64_t min, uint64_t max) {
  auto it = params.find(name);
  if (it == params.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) invalid_param(method, std::string("`") + name + "` is not an integer");
  if (it->is_number_unsigned()) {
    uint64_t v = it->get<uint64_t>();
    if (v >= min && v <= max) return v;
  } else {
    int64_t v = it->get<int64_t>();
    if (v >= 0 && static_cast<uint64_t>(v) >= min && static_cast<uint64_t>(v) <= max) {
      return static_cast<uint64_t>(v);
    }
  }
  invalid_param(method, std::string("`") + name + "` is out of range");
}

std::vector<std::string> process_env(const json& params, std::string_view method, const std::string& term) {
  std::map<std::string, std::string> env = {
      {"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
      {"HOME", "/root"},
      {"TERM", term},
      {"LANG", "C.UTF-8"},
  };
  if (auto it = params.find("env"); it != params.end() && !it->is_null()) {
    if (!it->is_object()) invalid_param(method, "`env` is not an object");
    for (const auto& [name, value] : it->items()) {
      if (name.empty() || name.find('=') != std::string::npos || name.find('\0') != std::string::npos) {
        invalid_param(method, "`env` has an invalid variable name");
      }
      env[name] = param_string(value, method, "env");
    }
  }
  std::vector<std::string> out;
  for (const auto& [name, value] : env) out.push_back(name + "=" + value);
  return out;
}

std::string env_path(const std::vector<std::string>& env) {
  for (const auto& e : env) {
    if (e.rfind("PATH=", 0) == 0) return e.substr(5);
  }
  return "";
}

void check_cwd(const std::string& cwd, std::string_view method) {
  struct stat st {};
  if (::stat(cwd.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      throw AgentError("not_found", std::string(method) + ": cwd `" + cwd + "`: " + std::strerror(err));
    }
    throw AgentError("internal", std::string(method) + ": stat cwd `" + cwd + "`: " + std::strerror(err));
  }
  if (!S_ISDIR(st.st_mode)) {
    throw AgentError("not_found", std::string(method) + ": cwd `" + cwd + "`: not a directory");
  }
}

}  // namespace pyro::agent

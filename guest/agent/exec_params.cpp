// Validation of `exec` params and the environment/program resolution done before fork.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <map>

#include "agent_error.hpp"
#include "exec.hpp"

namespace pyro::agent {
namespace {

using nlohmann::json;

// The base environment; `params.env` is layered on top.
const std::map<std::string, std::string>& base_env() {
  static const std::map<std::string, std::string> env = {
      {"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
      {"HOME", "/root"},
      {"TERM", "dumb"},
      {"LANG", "C.UTF-8"},
  };
  return env;
}

[[noreturn]] void invalid(const std::string& message) {
  throw AgentError("invalid_argument", "exec: " + message);
}

std::string checked_string(const json& value, const char* what) {
  if (!value.is_string()) invalid(std::string("`") + what + "` is not a string");
  std::string s = value.get<std::string>();
  // Everything ends up in a C string; an embedded NUL would silently cut it.
  if (s.find('\0') != std::string::npos) invalid(std::string("`") + what + "` contains a NUL byte");
  return s;
}

uint64_t checked_uint(const json& params, const char* name, uint64_t fallback, uint64_t min,
                      uint64_t max) {
  auto it = params.find(name);
  if (it == params.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) invalid(std::string("`") + name + "` is not an integer");
  if (it->is_number_unsigned()) {
    uint64_t v = it->get<uint64_t>();
    if (v >= min && v <= max) return v;
  } else {
    int64_t v = it->get<int64_t>();
    if (v >= 0 && static_cast<uint64_t>(v) >= min && static_cast<uint64_t>(v) <= max) {
      return static_cast<uint64_t>(v);
    }
  }
  invalid(std::string("`") + name + "` is out of range");
}

// The execvp search, done in the parent so the child only calls execve and so
// PATH comes from the command's environment, not the agent's.
std::vector<std::string> candidates_for(const std::string& program, const std::string& path) {
  if (program.find('/') != std::string::npos) return {program};
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t end = path.find(':', start);
    std::string dir = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
    out.push_back((dir.empty() ? std::string(".") : dir) + "/" + program);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

}  // namespace

ExecSpec parse_exec_params(const json& params) {
  ExecSpec spec;
  if (!params.is_object()) invalid("params are not an object");

  if (auto it = params.find("argv"); it != params.end() && !it->is_null()) {
    if (!it->is_array() || it->empty()) invalid("`argv` is not a non-empty array of strings");
    for (const auto& arg : *it) spec.argv.push_back(checked_string(arg, "argv"));
    if (spec.argv[0].empty()) invalid("`argv[0]` is empty");
  } else if (auto cmd = params.find("command"); cmd != params.end() && !cmd->is_null()) {
    spec.argv = {"sh", "-c", checked_string(*cmd, "command")};
  } else {
    invalid("neither `command` nor `argv` given");
  }

  std::map<std::string, std::string> env = base_env();
  if (auto it = params.find("env"); it != params.end() && !it->is_null()) {
    if (!it->is_object()) invalid("`env` is not an object");
    for (const auto& [name, value] : it->items()) {
      if (name.empty() || name.find('=') != std::string::npos ||
          name.find('\0') != std::string::npos) {
        invalid("`env` has an invalid variable name");
      }
      env[name] = checked_string(value, "env");
    }
  }
  for (const auto& [name, value] : env) spec.env.push_back(name + "=" + value);

  if (auto it = params.find("cwd"); it != params.end() && !it->is_null()) {
    spec.cwd = checked_string(*it, "cwd");
    if (spec.cwd.empty()) invalid("`cwd` is empty");
  }
  constexpr uint64_t kMaxTimeoutMs = uint64_t{1} << 40;  // ~35 years: no overflow anywhere
  spec.timeout_ms = static_cast<int64_t>(checked_uint(params, "timeout_ms", 30000, 1, kMaxTimeoutMs));
  constexpr uint64_t kMaxLimit = std::numeric_limits<int64_t>::max();
  spec.stdout_limit = checked_uint(params, "stdout_limit", 1u << 20, 0, kMaxLimit);
  spec.stderr_limit = checked_uint(params, "stderr_limit", 1u << 20, 0, kMaxLimit);

  // A missing cwd is an error, not a command that fails: detect it before fork.
  struct stat st {};
  if (::stat(spec.cwd.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      throw AgentError("not_found", "exec: cwd `" + spec.cwd + "`: " + std::strerror(err));
    }
    throw AgentError("internal", "exec: stat cwd `" + spec.cwd + "`: " + std::strerror(err));
  }
  if (!S_ISDIR(st.st_mode)) {
    throw AgentError("not_found", "exec: cwd `" + spec.cwd + "`: not a directory");
  }

  if (params.contains("argv") && !params["argv"].is_null()) {
    spec.candidates = candidates_for(spec.argv[0], env["PATH"]);
  } else {
    spec.candidates = {"/bin/sh"};
  }
  return spec;
}

}  // namespace pyro::agent

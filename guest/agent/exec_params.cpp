// Validation of `exec` params and the environment/program resolution done before fork.
#include <limits>

#include "agent_error.hpp"
#include "exec.hpp"
#include "process_params.hpp"

namespace pyro::agent {
namespace {

using nlohmann::json;

[[noreturn]] void invalid(const std::string& message) { invalid_param("exec", message); }

std::string checked_string(const json& value, const char* what) { return param_string(value, "exec", what); }

uint64_t checked_uint(const json& params, const char* name, uint64_t fallback, uint64_t min, uint64_t max) {
  return param_uint(params, "exec", name, fallback, min, max);
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

  spec.env = process_env(params, "exec", "dumb");

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
  check_cwd(spec.cwd, "exec");

  if (params.contains("argv") && !params["argv"].is_null()) {
    spec.candidates = candidates_for(spec.argv[0], env_path(spec.env));
  } else {
    spec.candidates = {"/bin/sh"};
  }
  return spec;
}

uint32_t parse_exec_cancel_params(const json& params) {
  if (!params.is_object()) invalid_param("exec_cancel", "params are not an object");
  if (!params.contains("stream")) invalid_param("exec_cancel", "`stream` is missing");
  return static_cast<uint32_t>(param_uint(params, "exec_cancel", "stream", 0, 1, 0xffffffffu));
}

}  // namespace pyro::agent

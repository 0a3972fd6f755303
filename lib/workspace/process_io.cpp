#include "workspace/process_io.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "protocol/base64.hpp"
#include "workspace/secret_store.hpp"

namespace pyro::detail {
namespace {

[[noreturn]] void invalid(const std::string& message) { throw Error(ErrorCode::kInvalidArgument, message); }

constexpr double kMaxWaitSeconds = 600;

}  // namespace

void validate_process_env(const std::string& cwd, const std::map<std::string, std::string>& env,
                          const std::map<std::string, std::string>& secret_env) {
  if (!cwd.empty() && (cwd.front() != '/' || cwd.find('\0') != std::string::npos)) {
    invalid(fmt::format("check `cwd`: `{}` is not an absolute path", cwd));
  }
  for (const auto& [key, value] : env) {
    if (key.empty() || key.find('=') != std::string::npos || key.find('\0') != std::string::npos) {
      invalid(fmt::format("check `env`: `{}` is not a valid variable name", key));
    }
    if (value.find('\0') != std::string::npos) invalid(fmt::format("check `env`: the value of `{}` has a NUL byte", key));
  }
  for (const auto& [key, secret] : secret_env) {
    if (!is_env_var_name(key)) {
      invalid(fmt::format("check `secret_env`: `{}` is not a variable name ([A-Za-z_][A-Za-z0-9_]*)", key));
    }
    if (env.count(key)) invalid(fmt::format("check `secret_env`: `{}` is also in `env`; give it once", key));
    if (secret.empty()) invalid(fmt::format("check `secret_env`: `{}` names no secret", key));
  }
}

void validate_read_options(const OutputReadOptions& o) {
  if (o.cursor < -1) invalid(fmt::format("check `cursor`: {} is neither -1 nor an offset >= 0", o.cursor));
  if (o.max_bytes == 0 || o.max_bytes > WorkspaceLimits::kMaxReadBytes) {
    invalid(fmt::format("check `max_bytes`: {} is not in [1, {}]", o.max_bytes, WorkspaceLimits::kMaxReadBytes));
  }
  if (!std::isfinite(o.wait_seconds) || o.wait_seconds < 0 || o.wait_seconds > kMaxWaitSeconds) {
    invalid(fmt::format("check `wait_seconds`: {} is not in [0, {}]", o.wait_seconds, kMaxWaitSeconds));
  }
  if (o.tail_lines > 1000000) invalid(fmt::format("check `tail_lines`: {} is more than 1000000", o.tail_lines));
}

std::string normalize_signal(const std::string& signal, bool shell) {
  std::string s = signal;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (s.rfind("SIG", 0) == 0) s = s.substr(3);
  static const char* const kCommon[] = {"HUP", "INT", "QUIT", "KILL", "USR1", "USR2", "TERM"};
  static const char* const kShellOnly[] = {"TSTP", "CONT", "WINCH"};
  for (const char* name : kCommon) {
    if (s == name) return s;
  }
  if (shell) {
    for (const char* name : kShellOnly) {
      if (s == name) return s;
    }
  }
  invalid(fmt::format("check `signal`: `{}` is not one of HUP INT QUIT KILL USR1 USR2 TERM{}", signal,
                      shell ? " TSTP CONT WINCH" : ""));
}

nlohmann::json read_params(int64_t cursor, const OutputReadOptions& options, const Redactor& redactor,
                           uint32_t wait_ms) {
  // With secrets, at least one secret's length: a read that is all held-back
  // prefix would otherwise never advance.
  const uint64_t max_bytes = redactor.empty() ? options.max_bytes
                                              : std::max<uint64_t>(options.max_bytes, redactor.lookbehind() + 1);
  nlohmann::json params = {{"cursor", std::max<int64_t>(cursor, 0)},
                           {"max_bytes", max_bytes},
                           {"wait_ms", wait_ms}};
  if (!redactor.empty()) params["lookbehind"] = redactor.lookbehind();
  return params;
}

uint64_t read_bound(const nlohmann::json& params) {
  return params.value("max_bytes", uint64_t{0}) + params.value("lookbehind", uint64_t{0});
}

OutputChunk chunk_from_read(const nlohmann::json& reply, int64_t cursor, const Redactor& redactor,
                            uint64_t max_data) {
  OutputChunk chunk;
  std::string data;
  int64_t offset = 0;
  bool finished = false;
  try {
    auto decoded = protocol::base64_decode(reply.value("data", ""));
    if (!decoded) throw std::runtime_error("`data` is not base64");
    data = std::move(*decoded);
    if (data.size() > max_data) {
      throw std::runtime_error(fmt::format("{} bytes of `data`, at most {} were asked for", data.size(), max_data));
    }
    offset = reply.at("offset").get<int64_t>();
    if (offset < 0) throw std::runtime_error("`offset` is negative");
    chunk.missed_bytes = reply.value("missed", uint64_t{0});
    chunk.more = reply.value("more", false);
    finished = reply.value("finished", false);
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kAgentProtocol, fmt::format("malformed read result: {}", e.what()));
  }
  // A read from the tail, or one whose cursor had left the ring, starts at `offset`.
  const int64_t from = cursor < 0 ? offset : std::max(cursor, offset);
  if (cursor >= 0 && offset > cursor && chunk.missed_bytes == 0) {
    chunk.missed_bytes = static_cast<uint64_t>(offset - cursor);
  }
  chunk.cursor = from;
  if (redactor.empty()) {
    const size_t skip = static_cast<size_t>(std::min<int64_t>(from - offset, static_cast<int64_t>(data.size())));
    chunk.output = data.substr(skip);
    chunk.next_cursor = offset + static_cast<int64_t>(data.size());
    return chunk;
  }
  RedactedRead read = redactor.redact_window(data, offset, from, finished);
  chunk.output = std::move(read.output);
  chunk.next_cursor = read.next_cursor;
  return chunk;
}

ServiceInfo service_from_json(const nlohmann::json& j) {
  ServiceInfo s;
  try {
    s.name = j.at("name").get<std::string>();
    s.command = j.value("command", "");
    s.cwd = j.value("cwd", "");
    s.state = j.at("state").get<std::string>();
    s.pid = j.value("pid", int64_t{0});
    s.exit_code = j.value("exit_code", 0);
    s.signal = j.value("signal", 0);
    s.restarts = j.value("restarts", 0u);
    s.started_at = j.value("started_at", "");
    s.ended_at = j.value("ended_at", "");
    s.readiness = j.value("readiness", "");
    s.ready = j.value("ready", false);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kAgentProtocol, fmt::format("malformed service status: {}", e.what()));
  }
  return s;
}

Error service_failure(const nlohmann::json& status, const std::string& fallback) {
  auto it = status.find("failure");
  if (it == status.end() || !it->is_object()) return Error(ErrorCode::kFailedPrecondition, fallback);
  auto text = [&](const char* key) {
    auto f = it->find(key);
    return f != it->end() && f->is_string() ? f->get<std::string>() : std::string();
  };
  const std::string code = text("code");
  const std::string message = text("message");
  return Error(code == "deadline_exceeded" ? ErrorCode::kDeadlineExceeded : ErrorCode::kFailedPrecondition,
               message.empty() ? fallback : message);
}

ShellInfo shell_from_json(const nlohmann::json& j) {
  ShellInfo s;
  try {
    s.shell_id = j.at("shell_id").get<std::string>();
    s.state = j.at("state").get<std::string>();
    s.pid = j.value("pid", int64_t{0});
    s.exit_code = j.value("exit_code", 0);
    s.cols = j.value("cols", 0u);
    s.rows = j.value("rows", 0u);
    s.cwd = j.value("cwd", "");
    s.created_at = j.value("created_at", "");
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kAgentProtocol, fmt::format("malformed shell status: {}", e.what()));
  }
  return s;
}

Error redacted(const Error& e, const Redactor& redactor) {
  if (redactor.empty()) return e;
  return Error(e.code(), redactor.redact(e.what()));
}

}  // namespace pyro::detail

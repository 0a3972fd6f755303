// WorkspaceManager: interactive shells on a PTY in the guest (docs/workspaces.md,
// "Shells"). The agent keeps each shell's output in a ring; reads go through
// read_output (workspace_services.cpp), which redacts secrets and waits in slices.
#include <cctype>

#include <fmt/format.h>

#include "protocol/base64.hpp"
#include "pyro/error.hpp"
#include "workspace/process_io.hpp"
#include "workspace/workspace_manager.hpp"
#include "workspace/workspace_session.hpp"

namespace pyro::detail {
namespace {

constexpr auto kCallTimeout = std::chrono::seconds(30);
constexpr uint32_t kMaxTerminalSize = 1000;

[[noreturn]] void invalid(const std::string& message) { throw Error(ErrorCode::kInvalidArgument, message); }

void validate_shell_id(const std::string& id) {
  const bool ok = !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
  if (!ok) invalid(fmt::format("check `shell_id`: `{}` is not a shell id (like sh-1a2b3c4d)", id));
}

void validate_size(uint32_t cols, uint32_t rows) {
  if (cols < 1 || cols > kMaxTerminalSize) invalid(fmt::format("check `cols`: {} is not in [1, {}]", cols, kMaxTerminalSize));
  if (rows < 1 || rows > kMaxTerminalSize) invalid(fmt::format("check `rows`: {} is not in [1, {}]", rows, kMaxTerminalSize));
}

}  // namespace

ShellInfo WorkspaceManager::open_shell(const std::string& workspace, const ShellOptions& options) {
  validate_process_env(options.cwd, options.env, options.secret_env);
  validate_size(options.cols, options.rows);
  Session session(ctx_, store_, workspace);
  const Redactor redactor = redactor_of(session.record());
  try {
    nlohmann::json params = {{"env", process_env(session.record(), options.env, options.secret_env)},
                             {"cols", options.cols},
                             {"rows", options.rows}};
    if (params["env"].is_null()) params["env"] = nlohmann::json::object();
    if (!options.cwd.empty()) params["cwd"] = options.cwd;
    return shell_from_json(session.agent().call("shell_open", params, deadline_after(kCallTimeout)));
  } catch (const Error& e) {
    throw redacted(session.fail(e, fmt::format("open a shell in workspace `{}`", session.id())), redactor);
  }
}

ShellInfo WorkspaceManager::write_shell(const std::string& workspace, const std::string& shell_id,
                                        const std::string& input) {
  validate_shell_id(shell_id);
  if (input.size() > WorkspaceLimits::kMaxShellInputBytes) {
    invalid(fmt::format("check `input`: {} bytes, at most {}", input.size(), WorkspaceLimits::kMaxShellInputBytes));
  }
  Session session(ctx_, store_, workspace);
  const Redactor redactor = redactor_of(session.record());
  try {
    return shell_from_json(session.agent().call(
        "shell_write", {{"shell_id", shell_id}, {"data", protocol::base64_encode(input)}}, deadline_after(kCallTimeout)));
  } catch (const Error& e) {
    throw redacted(session.fail(e, fmt::format("write to shell `{}` in workspace `{}`", shell_id, session.id())),
                   redactor);
  }
}

ShellOutput WorkspaceManager::read_shell(const std::string& workspace, const std::string& shell_id,
                                         const OutputReadOptions& options) {
  validate_shell_id(shell_id);
  validate_read_options(options);
  ShellOutput out;
  out.shell_id = shell_id;
  out.chunk = read_output(workspace, "shell_read", {{"shell_id", shell_id}}, options, /*tail=*/false,
                          fmt::format("read shell `{}` in workspace `{}`", shell_id, workspace),
                          [&](Session&, const nlohmann::json& reply) { out.shell = shell_from_json(reply.at("shell")); });
  return out;
}

ShellInfo WorkspaceManager::resize_shell(const std::string& workspace, const std::string& shell_id, uint32_t cols,
                                         uint32_t rows) {
  validate_shell_id(shell_id);
  validate_size(cols, rows);
  Session session(ctx_, store_, workspace);
  const Redactor redactor = redactor_of(session.record());
  try {
    return shell_from_json(session.agent().call(
        "shell_resize", {{"shell_id", shell_id}, {"cols", cols}, {"rows", rows}}, deadline_after(kCallTimeout)));
  } catch (const Error& e) {
    throw redacted(session.fail(e, fmt::format("resize shell `{}` in workspace `{}`", shell_id, session.id())),
                   redactor);
  }
}

ShellInfo WorkspaceManager::signal_shell(const std::string& workspace, const std::string& shell_id,
                                         const std::string& signal) {
  validate_shell_id(shell_id);
  const std::string name = normalize_signal(signal, /*shell=*/true);
  Session session(ctx_, store_, workspace);
  const Redactor redactor = redactor_of(session.record());
  try {
    return shell_from_json(session.agent().call("shell_signal", {{"shell_id", shell_id}, {"signal", name}},
                                                deadline_after(kCallTimeout)));
  } catch (const Error& e) {
    throw redacted(session.fail(e, fmt::format("signal shell `{}` in workspace `{}`", shell_id, session.id())),
                   redactor);
  }
}

void WorkspaceManager::close_shell(const std::string& workspace, const std::string& shell_id) {
  validate_shell_id(shell_id);
  Session session(ctx_, store_, workspace);
  const Redactor redactor = redactor_of(session.record());
  try {
    session.agent().call("shell_close", {{"shell_id", shell_id}}, deadline_after(kCallTimeout));
  } catch (const Error& e) {
    throw redacted(session.fail(e, fmt::format("close shell `{}` in workspace `{}`", shell_id, session.id())),
                   redactor);
  }
}

}  // namespace pyro::detail

// Request dispatch: `hello`, `ping`, `exec`, `shutdown`, `restore`, the workspace
// methods and the service and shell methods (docs/agent-protocol.md).
#pragma once

#include <functional>
#include <memory>

#include <nlohmann/json.hpp>

#include "connection.hpp"
#include "exec_cancel.hpp"
#include "pyro/version_macros.h"  // generated from project(pyro VERSION ...)
#include "reaper.hpp"
#include "services.hpp"
#include "shells.hpp"
#include "workspace.hpp"

namespace pyro::agent {

// The package version (the protocol's own version is protocol::kProtocolMinor & co).
inline constexpr const char* kAgentVersion = PYRO_VERSION_STRING;

class Agent {
 public:
  /// `workspace_root` is "" in a VM (the disk is mounted at /workspace) or the
  /// directory given with --workspace-root for host-side tests.
  Agent(Reaper& reaper, bool is_pid1, const std::string& workspace_root = "")
      : reaper_(reaper),
        is_pid1_(is_pid1),
        workspace_(workspace_root.empty() ? "/workspace" : workspace_root, !workspace_root.empty()),
        services_(reaper, workspace_),
        shells_(reaper, workspace_, is_pid1) {}

  /// Fields of the `hello` event and of the `hello` result.
  nlohmann::json hello_fields() const;

  /// Handles one frame from the host. Requests are answered on their stream (exec
  /// in its own thread, which keeps `conn` alive); other frames are ignored.
  /// Never throws.
  void handle(const std::shared_ptr<Connection>& conn, const protocol::Frame& frame) noexcept;

  /// Kills running commands and ends the process with `exit_code` (as PID 1: syncs
  /// and powers the VM off instead).
  [[noreturn]] void terminate(int exit_code = 0) noexcept;

 private:
  void dispatch(const std::shared_ptr<Connection>& conn, uint32_t stream,
                const std::string& method, const nlohmann::json& params);
  bool dispatch_workspace(const std::shared_ptr<Connection>& conn, uint32_t stream,
                          const std::string& method, const nlohmann::json& params);
  /// The service_* and shell_* methods; an empty function for any other method.
  std::function<nlohmann::json()> process_method(const std::string& method, const nlohmann::json& params);

  Reaper& reaper_;
  bool is_pid1_;
  Workspace workspace_;
  Services services_;  // services and shells outlive connections
  Shells shells_;
  ExecCancels cancels_;  // the running execs of every connection
};

}  // namespace pyro::agent

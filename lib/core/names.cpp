// Wire names of the public enums, shared by every surface.
#include <array>
#include <string>
#include <string_view>

#include "pyro/error.hpp"
#include "pyro/log.hpp"
#include "pyro/types.hpp"
#include "pyro/version.hpp"
#include "pyro/workspace.hpp"

namespace pyro {
inline namespace v1 {
namespace {
// Indexed by the ErrorCode value; keep in step with spec/error_codes.json.
constexpr std::array<const char*, 15> kErrorNames = {
    "ok",           "invalid_argument", "not_found",     "already_exists",
    "failed_precondition", "deadline_exceeded", "cancelled", "unavailable",
    "permission_denied", "resource_exhausted", "unimplemented", "internal",
    "agent_protocol", "vm_crashed", "user"};
}  // namespace

const char* error_code_name(ErrorCode code) noexcept {
  auto i = static_cast<size_t>(code);
  return i < kErrorNames.size() ? kErrorNames[i] : "internal";
}

ErrorCode error_code_from_name(std::string_view name) noexcept {
  for (size_t i = 0; i < kErrorNames.size(); ++i) {
    if (name == kErrorNames[i]) return static_cast<ErrorCode>(i);
  }
  return ErrorCode::kInternal;
}

const char* vm_state_name(VmState state) noexcept {
  switch (state) {
    case VmState::kCreated: return "created";
    case VmState::kRunning: return "running";
    case VmState::kStopped: return "stopped";
    case VmState::kCrashed: return "crashed";
  }
  return "unknown";
}

const char* workspace_state_name(WorkspaceState state) noexcept {
  switch (state) {
    case WorkspaceState::kStopped: return "stopped";
    case WorkspaceState::kRunning: return "running";
    case WorkspaceState::kCrashed: return "crashed";
  }
  return "unknown";
}

const char* network_policy_name(NetworkPolicy policy) noexcept {
  switch (policy) {
    case NetworkPolicy::kOff: return "off";
    case NetworkPolicy::kEgress: return "egress";
    case NetworkPolicy::kEgressPublishedPorts: return "egress+published-ports";
  }
  return "unknown";
}

NetworkPolicy network_policy_from_name(std::string_view name) {
  for (NetworkPolicy p : {NetworkPolicy::kOff, NetworkPolicy::kEgress, NetworkPolicy::kEgressPublishedPorts}) {
    if (name == network_policy_name(p)) return p;
  }
  throw Error(ErrorCode::kInvalidArgument, "check `network_policy`: `" + std::string(name) +
                                               "` is not one of off, egress, egress+published-ports");
}

const char* log_level_name(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kOff: return "off";
    case LogLevel::kError: return "error";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kInfo: return "info";
    case LogLevel::kDebug: return "debug";
    case LogLevel::kTrace: return "trace";
  }
  return "unknown";
}

const char* version() noexcept { return PYRO_VERSION_STRING; }

}  // namespace v1
}  // namespace pyro

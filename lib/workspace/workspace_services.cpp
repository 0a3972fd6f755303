// WorkspaceManager: services (placeholder until the supervisor lands).
#include "pyro/error.hpp"
#include "workspace/workspace_manager.hpp"

namespace pyro::detail {
namespace {
[[noreturn]] void not_yet(const char* op) {
  throw Error(ErrorCode::kUnimplemented, std::string(op) + ": not implemented yet");
}
}  // namespace

ServiceInfo WorkspaceManager::start_service(const std::string&, const std::string&, const std::string&,
                                            const ServiceOptions&) { not_yet("start_service"); }
std::vector<ServiceInfo> WorkspaceManager::list_services(const std::string&) { not_yet("list_services"); }
ServiceInfo WorkspaceManager::status_service(const std::string&, const std::string&) { not_yet("status_service"); }
ServiceLogs WorkspaceManager::logs_service(const std::string&, const std::string&, const OutputReadOptions&) {
  not_yet("logs_service");
}
ServiceInfo WorkspaceManager::stop_service(const std::string&, const std::string&, const ServiceStopOptions&) {
  not_yet("stop_service");
}
ShellInfo WorkspaceManager::open_shell(const std::string&, const ShellOptions&) { not_yet("open_shell"); }
ShellInfo WorkspaceManager::write_shell(const std::string&, const std::string&, const std::string&) {
  not_yet("write_shell");
}
ShellOutput WorkspaceManager::read_shell(const std::string&, const std::string&, const OutputReadOptions&) {
  not_yet("read_shell");
}
ShellInfo WorkspaceManager::resize_shell(const std::string&, const std::string&, uint32_t, uint32_t) {
  not_yet("resize_shell");
}
ShellInfo WorkspaceManager::signal_shell(const std::string&, const std::string&, const std::string&) {
  not_yet("signal_shell");
}
void WorkspaceManager::close_shell(const std::string&, const std::string&) { not_yet("close_shell"); }

}  // namespace pyro::detail

// class Pyro: services and shells of workspaces (pyro/workspace.hpp). Each
// forwards to the WorkspaceManager (lib/workspace/workspace_services.cpp and
// workspace_shells.cpp).
#include "core/client_impl.hpp"
#include "workspace/workspace_manager.hpp"

namespace pyro {
inline namespace v1 {

ServiceInfo Pyro::start_service(const std::string& workspace, const std::string& name, const std::string& command,
                                const ServiceOptions& options) {
  return impl_->workspaces().start_service(workspace, name, command, options);
}

std::vector<ServiceInfo> Pyro::list_services(const std::string& workspace) {
  return impl_->workspaces().list_services(workspace);
}

ServiceInfo Pyro::status_service(const std::string& workspace, const std::string& name) {
  return impl_->workspaces().status_service(workspace, name);
}

ServiceLogs Pyro::logs_service(const std::string& workspace, const std::string& name,
                               const OutputReadOptions& options) {
  return impl_->workspaces().logs_service(workspace, name, options);
}

ServiceInfo Pyro::stop_service(const std::string& workspace, const std::string& name,
                               const ServiceStopOptions& options) {
  return impl_->workspaces().stop_service(workspace, name, options);
}

ShellInfo Pyro::open_shell(const std::string& workspace, const ShellOptions& options) {
  return impl_->workspaces().open_shell(workspace, options);
}

ShellInfo Pyro::write_shell(const std::string& workspace, const std::string& shell_id, const std::string& input) {
  return impl_->workspaces().write_shell(workspace, shell_id, input);
}

ShellOutput Pyro::read_shell(const std::string& workspace, const std::string& shell_id,
                             const OutputReadOptions& options) {
  return impl_->workspaces().read_shell(workspace, shell_id, options);
}

ShellInfo Pyro::resize_shell(const std::string& workspace, const std::string& shell_id, uint32_t cols,
                             uint32_t rows) {
  return impl_->workspaces().resize_shell(workspace, shell_id, cols, rows);
}

ShellInfo Pyro::signal_shell(const std::string& workspace, const std::string& shell_id, const std::string& signal) {
  return impl_->workspaces().signal_shell(workspace, shell_id, signal);
}

void Pyro::close_shell(const std::string& workspace, const std::string& shell_id) {
  impl_->workspaces().close_shell(workspace, shell_id);
}

}  // namespace v1
}  // namespace pyro

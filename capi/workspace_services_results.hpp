// workspace_services_results.hpp — deep copies of the C++ service and shell
// results into the plain C structs of pyro/c/workspace_services.h. Like
// workspace_results.hpp: every `new_*` throws std::bad_alloc on failure (call it
// inside guard()), frees what it had built so far, and gives the caller the result.
#pragma once

#include <vector>

#include "capi_internal.hpp"

namespace pyro::capi {

pyro_service_info* new_service_info(const pyro::ServiceInfo& in);
pyro_service_list* new_service_list(const std::vector<pyro::ServiceInfo>& in);
pyro_service_logs* new_service_logs(const pyro::ServiceLogs& in);
pyro_shell_info* new_shell_info(const pyro::ShellInfo& in);
pyro_shell_output* new_shell_output(const pyro::ShellOutput& in);

}  // namespace pyro::capi

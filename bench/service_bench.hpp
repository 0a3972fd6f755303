// service_bench.hpp — the service and shell series of pyro_bench (public C++ API only).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace pyro_bench {

/// Runs the service_* and shell_* series against `environment` (it needs busybox's
/// httpd) in one workspace, which is deleted at the end, also on error.
nlohmann::json run_service_series(const std::string& environment, int runs);

}  // namespace pyro_bench

// workspace_bench.hpp — the workspace series of pyro_bench (public C++ API only).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace pyro_bench {

/// Runs every workspace series against `environment` and returns them as JSON
/// members named workspace_*. Deletes every workspace it creates, also on error.
nlohmann::json run_workspace_series(const std::string& environment, int runs);

}  // namespace pyro_bench

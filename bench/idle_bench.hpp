// idle_bench.hpp — the idle series of pyro_bench: what a workspace nobody uses costs.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace pyro_bench {

/// Starts `count` workspaces of `environment`, runs one command in each, leaves them
/// idle for `seconds`, and reports per VMM: CPU, wakeups, PSS, and the first exec after
/// the idle spell. Members named idle_*. Deletes every workspace, also on error.
nlohmann::json run_idle_series(const std::string& environment, int count, int seconds);

}  // namespace pyro_bench

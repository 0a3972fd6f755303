// The structured (`json`) operation arguments read into the C++ option structs:
// readiness, published_ports and secrets. Arguments checked only their top-level
// type; everything below it is checked here, and a wrong shape is a
// pyro::Error(kInvalidArgument) naming the tool, the argument and the field.
#pragma once

#include <cstdint>
#include <vector>

#include "ops/arguments.hpp"
#include "pyro/workspace.hpp"

namespace pyro::ops {

/// `readiness`: {"type": "file"|"tcp"|"http"|"command", "path", "port", "url",
/// "command", "timeout_seconds", "interval_ms"}; absent: ready once spawned.
pyro::ServiceReadiness readiness_argument(const Arguments& args);

/// `published_ports`: an array of guest TCP ports (1-65535).
std::vector<uint32_t> published_ports_argument(const Arguments& args);

/// `secrets`: [{"name", "value"} | {"name", "file_path"}].
std::vector<pyro::WorkspaceSecret> secrets_argument(const Arguments& args);

}  // namespace pyro::ops

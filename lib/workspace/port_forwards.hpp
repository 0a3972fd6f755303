// Published ports of a workspace's services (docs/workspaces.md, "Network policy"):
// which 127.0.0.1 host ports forward to which guest ports, per service. The forwards
// live in the VMM (QEMU hostfwd), so they are recorded in the run directory
// (run/ports.json), which every process reads and which goes away with the VMM.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pyro/workspace.hpp"

namespace pyro::detail {

struct ServicePorts {
  std::vector<PublishedPort> ports;
  std::string restart = "never";  ///< the service's restart policy: forwards outlive "exited" when it restarts
  uint32_t max_restarts = 0;
};

/// service name -> its forwards.
using PortTable = std::map<std::string, ServicePorts>;

/// The table of `run_dir` (empty when there is none). A corrupt file reads as empty.
PortTable load_port_table(const std::string& run_dir);
/// Replaces `run_dir`/ports.json atomically (removes it when `table` is empty).
void save_port_table(const std::string& run_dir, const PortTable& table);

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close).
/// Throws kResourceExhausted.
uint32_t pick_free_loopback_port();

}  // namespace pyro::detail

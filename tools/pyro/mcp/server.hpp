// `pyro mcp serve`: an MCP server on stdin/stdout (newline-delimited JSON-RPC 2.0)
// over one pyro::Pyro client. stdout carries only protocol messages; logs go to
// stderr. tools/call runs on a worker thread, so ping and notifications/cancelled
// are answered while a VM boots. docs/mcp.md describes the protocol surface.
#pragma once

#include <string>

#include "pyro/client.hpp"

namespace pyro_mcp {

struct ServerOptions {
  std::string profile = "vm-run";  ///< a profile of the operation table
  pyro::ClientOptions client;  ///< from the CLI's global flags
  int verbosity = 0;
};

/// Serves until stdin ends (after the calls in flight finish). Returns the exit
/// status; throws pyro_cli::Interrupted after SIGINT/SIGTERM/SIGHUP, once the
/// client's VMs are deleted and the calls in flight have returned.
int serve(const ServerOptions& options);

}  // namespace pyro_mcp

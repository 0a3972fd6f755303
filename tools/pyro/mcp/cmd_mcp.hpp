// `pyro mcp serve [--profile NAME]`: the CLI verb that starts the MCP server.
#pragma once

#include "cli.hpp"

namespace pyro_cli {

int cmd_mcp(const GlobalOptions& global, Args args);

}  // namespace pyro_cli

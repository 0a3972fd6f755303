#include "mcp/cmd_mcp.hpp"


#include <fmt/format.h>

#include "args.hpp"
#include "mcp/server.hpp"
#include "pyro/error.hpp"
#include "pyro/operations.hpp"
#include "output.hpp"

namespace pyro_cli {
namespace {

constexpr std::string_view kServeDetails =
    "profiles:\n"
    "  vm-run          vm_run only: one command in a throwaway VM\n"
    "  workspace-core  vm_run, list_environments and the everyday workspace tools\n"
    "  workspace-full  every workspace tool and every environment tool\n"
    "\n"
    "Speaks MCP (newline-delimited JSON-RPC 2.0) on stdin/stdout; logs go to stderr.\n"
    "Global flags (--home, --accelerator, ...) configure the server's client.\n"
    "See docs/mcp.md for client configuration.\n";

const CommandSpec kServeSpec = {
    .path = "mcp serve",
    .usage = "pyro [GLOBAL OPTIONS] mcp serve [--profile NAME]",
    .summary = "Serve pyro's operations as MCP tools on stdin/stdout.",
    .flags = {{"profile", 0, "NAME", "vm-run (default), workspace-core or workspace-full"}},
    .details = std::string(kServeDetails),
};

constexpr std::string_view kMcpHelp =
    "usage: pyro mcp serve [--profile NAME]\n"
    "\n"
    "Model Context Protocol server for LLM clients.\n"
    "\n"
    "sub-verbs:\n"
    "  serve   serve the tools of a profile on stdin/stdout\n"
    "\n"
    "`pyro mcp serve --help` describes it.\n";

int serve(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_args(kServeSpec, args);
  if (parsed.help) {
    write_bytes(stdout, format_help(kServeSpec));
    return kExitOk;
  }
  if (!parsed.positionals.empty()) {
    throw UsageError("mcp serve", fmt::format("unexpected argument `{}`", parsed.positionals[0]));
  }
  pyro_mcp::ServerOptions options;
  if (const std::string* name = parsed.value("profile")) {
    try {
      pyro::tool_definitions_json(*name);  // the table knows its profiles
    } catch (const pyro::Error& e) {
      throw UsageError("mcp serve", e.what());
    }
    options.profile = *name;
  }
  options.client = global.client;
  options.verbosity = global.verbosity;
  return pyro_mcp::serve(options);
}

}  // namespace

int cmd_mcp(const GlobalOptions& global, Args args) {
  if (args.empty()) throw UsageError("mcp", "missing sub-verb after `mcp`: try `pyro mcp serve`");
  if (args[0] == "serve") return serve(global, args.subspan(1));
  if (args[0] == "--help" || args[0] == "-h") {
    write_bytes(stdout, kMcpHelp);
    return kExitOk;
  }
  throw UsageError("mcp", fmt::format("unknown verb `mcp {}`: try `pyro mcp --help`", args[0]));
}

}  // namespace pyro_cli

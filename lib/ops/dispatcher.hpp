// The one entry point of every JSON surface: operation name + arguments in, the
// result's JSON form out. Validation (Arguments), the call (handlers) and the
// serialisation (result_json) all happen here, once, for Pyro::call,
// pyro_call_json, the MCP server, `pyro.tools` and the CLI's --json.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "ops/result_json.hpp"
#include "pyro/client.hpp"

namespace pyro::ops {

/// Runs `operation` (its table name or MCP tool name) with `arguments` (an object,
/// or null for none). Throws Error: kInvalidArgument for an unknown operation or a
/// bad argument, else whatever the operation throws.
ResultJson dispatch(Pyro& client, std::string_view operation, const nlohmann::json& arguments,
                        const CallOptions& options);

}  // namespace pyro::ops

// The JSON tables compiled into the MCP server (tools/pyro/CMakeLists.txt generates
// their definitions): the operation table spec/operations.json, which the tool list
// is built from, and result_schemas.json, the outputSchema of each result type.
#pragma once

namespace pyro_mcp {

const char* operations_json() noexcept;
const char* result_schemas_json() noexcept;

}  // namespace pyro_mcp

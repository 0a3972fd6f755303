// The spec files compiled into libpyro (lib/CMakeLists.txt generates the
// definitions): spec/operations.json and spec/result_schemas.json.
#pragma once

namespace pyro::ops {

const char* operations_json() noexcept;
const char* result_schemas_json() noexcept;

}  // namespace pyro::ops

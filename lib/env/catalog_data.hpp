// The environment catalog table (spec/environments.json), embedded at build time.
#pragma once

namespace pyro::detail {
const char* catalog_json() noexcept;
}  // namespace pyro::detail

// pyro/version.hpp — compile-time and run-time version of libpyro.
#pragma once

#define PYRO_VERSION_MAJOR 0
#define PYRO_VERSION_MINOR 1
#define PYRO_VERSION_PATCH 0
#define PYRO_VERSION_STRING "0.1.0"

#include "pyro/export.hpp"

namespace pyro {
inline namespace v1 {

/// The version of the library actually linked, e.g. "0.1.0".
PYRO_API const char* version() noexcept;

}  // namespace v1
}  // namespace pyro

// pyro/version.hpp — compile-time and run-time version of libpyro.
#pragma once

#include "pyro/export.hpp"
#include "pyro/version_macros.h"  // PYRO_VERSION_{MAJOR,MINOR,PATCH,STRING,NUMBER}

namespace pyro {
inline namespace v1 {

/// The version of the library actually linked, e.g. "0.3.0".
PYRO_API const char* version() noexcept;

}  // namespace v1
}  // namespace pyro

// C ABI: library version (include/pyro/c/version.h).
#include "capi_internal.hpp"

extern "C" {

const char* pyro_version(void) { return pyro::version(); }

int pyro_version_number(void) { return PYRO_VERSION_NUMBER; }

}  // extern "C"

/**
 * @file pyro/c/version.h
 * @brief Compile-time and run-time version of libpyro_c.
 *
 * Compare the macros (the header you compiled against) with pyro_version_number()
 * (the library actually loaded) to detect a mismatch:
 *
 *     if (pyro_version_number() / 10000 != PYRO_VERSION_MAJOR) abort();
 */
#ifndef PYRO_C_VERSION_H
#define PYRO_C_VERSION_H

#include "pyro/c/common.h"
/* PYRO_VERSION_{MAJOR,MINOR,PATCH,STRING,NUMBER}, shared with pyro/version.hpp. */
#include "pyro/version_macros.h"

PYRO_BEGIN_DECL

/** The version of the loaded library, e.g. "0.3.0". Static; never NULL. */
PYRO_EXTERN(const char *) pyro_version(void);

/** The version of the loaded library as MAJOR * 10000 + MINOR * 100 + PATCH. */
PYRO_EXTERN(int) pyro_version_number(void);

PYRO_END_DECL

#endif /* PYRO_C_VERSION_H */

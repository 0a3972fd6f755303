/**
 * @file pyro/c/common.h
 * @brief Declaration macros shared by every pyro C header.
 *
 * The C ABI is C99 and includes only <stddef.h> and <stdint.h>. Every public
 * function is declared as `PYRO_EXTERN(type) pyro_name(...)` between
 * PYRO_BEGIN_DECL and PYRO_END_DECL, so C++ callers get C linkage.
 */
#ifndef PYRO_C_COMMON_H
#define PYRO_C_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define PYRO_BEGIN_DECL extern "C" {
#define PYRO_END_DECL }
#else
#define PYRO_BEGIN_DECL /* empty */
#define PYRO_END_DECL   /* empty */
#endif

/** Declares a public function returning `type` with default visibility. */
#if defined(__GNUC__) || defined(__clang__)
#define PYRO_EXTERN(type) extern __attribute__((visibility("default"))) type
#else
#define PYRO_EXTERN(type) extern type
#endif

#endif /* PYRO_C_COMMON_H */

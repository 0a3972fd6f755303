/**
 * @file pyro/c/error.h
 * @brief Status codes and the explicit error object of the pyro C API.
 *
 * Every fallible call returns a ::pyro_status (0 or a negative PYRO_E_* code)
 * and takes `pyro_error **err` as its last parameter. Pass NULL when the
 * details are not wanted; otherwise `*err` is set to NULL on entry and, on
 * failure, to a new error object the caller releases with pyro_error_free().
 * Errors are never thread-local, so they are safe with thread pools.
 *
 *     pyro_error *err = NULL;
 *     if (pyro_delete_vm(client, "vm-1", &err) != PYRO_OK) {
 *         fprintf(stderr, "%s: %s\n", pyro_status_str(pyro_error_code(err)),
 *                 pyro_error_message(err));
 *         pyro_error_free(err);
 *     }
 *
 * The codes equal the negated values of spec/error_codes.json.
 */
#ifndef PYRO_C_ERROR_H
#define PYRO_C_ERROR_H

#include "pyro/c/common.h"

PYRO_BEGIN_DECL

/** 0 on success, a negative PYRO_E_* code on failure. */
typedef int pyro_status;

/** The canonical codes (spec/error_codes.json, negated). Only ever appended. */
enum {
    PYRO_OK = 0,
    PYRO_E_INVALID_ARGUMENT = -1,    /**< a parameter is malformed or out of range */
    PYRO_E_NOT_FOUND = -2,           /**< the named VM or environment does not exist */
    PYRO_E_ALREADY_EXISTS = -3,      /**< the named object exists already */
    PYRO_E_FAILED_PRECONDITION = -4, /**< the object's state does not allow the operation */
    PYRO_E_DEADLINE_EXCEEDED = -5,   /**< a pyro-side deadline passed (boot, agent reply) */
    PYRO_E_CANCELLED = -6,           /**< the operation was cancelled */
    PYRO_E_UNAVAILABLE = -7,         /**< a host resource is missing or unusable */
    PYRO_E_PERMISSION_DENIED = -8,   /**< the host denied access */
    PYRO_E_RESOURCE_EXHAUSTED = -9,  /**< memory, disk or a size limit ran out */
    PYRO_E_UNIMPLEMENTED = -10,      /**< the operation is not supported here */
    PYRO_E_INTERNAL = -11,           /**< a bug or unexpected failure inside pyro */
    PYRO_E_AGENT_PROTOCOL = -12,     /**< the guest agent sent something unacceptable */
    PYRO_E_VM_CRASHED = -13,         /**< the VMM exited or the guest died unexpectedly */
    PYRO_E_USER = -14                /**< a user callback failed */
};

/** Opaque error: a code plus a message. Created by the library only. */
typedef struct pyro_error pyro_error;

/**
 * The code of an error.
 * @param err an error, or NULL
 * @return the negative PYRO_E_* code, or PYRO_OK when @p err is NULL
 */
PYRO_EXTERN(pyro_status) pyro_error_code(const pyro_error *err);

/**
 * The message of an error, "<action> <object>: <cause>", lowercase.
 * @param err an error, or NULL
 * @return a string borrowed from @p err (valid until pyro_error_free), or ""
 *         when @p err is NULL; never NULL
 */
PYRO_EXTERN(const char *) pyro_error_message(const pyro_error *err);

/** Releases an error. NULL is allowed and does nothing. */
PYRO_EXTERN(void) pyro_error_free(pyro_error *err);

/**
 * The wire name of a status, e.g. "not_found" for PYRO_E_NOT_FOUND, "ok" for 0.
 * @return a static string; "unknown" for a value outside the table; never NULL
 */
PYRO_EXTERN(const char *) pyro_status_str(pyro_status status);

PYRO_END_DECL

#endif /* PYRO_C_ERROR_H */

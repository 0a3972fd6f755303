/**
 * @file pyro/c/log.h
 * @brief Routing the library's log messages to the embedder.
 *
 * The library is silent by default. Install a callback to receive messages:
 *
 *     static void on_log(pyro_log_level level, const char *msg, void *payload) {
 *         (void)payload;
 *         fprintf(stderr, "pyro[%d]: %s\n", (int)level, msg);
 *     }
 *     pyro_log_set(PYRO_LOG_INFO, on_log, NULL);
 *
 * Log wording is not part of the API.
 */
#ifndef PYRO_C_LOG_H
#define PYRO_C_LOG_H

#include "pyro/c/common.h"
#include "pyro/c/error.h"

PYRO_BEGIN_DECL

/** Severity levels; a handler set at level L receives L and everything more severe. */
typedef enum pyro_log_level {
    PYRO_LOG_OFF = 0,
    PYRO_LOG_ERROR = 1,
    PYRO_LOG_WARN = 2,
    PYRO_LOG_INFO = 3,
    PYRO_LOG_DEBUG = 4,
    PYRO_LOG_TRACE = 5
} pyro_log_level;

/**
 * Log callback. May be called from any thread, concurrently; it must not call
 * back into pyro.
 * @param level   the message's severity
 * @param message NUL-terminated, borrowed for the duration of the call
 * @param payload the pointer given to pyro_log_set()
 */
typedef void (*pyro_log_cb)(pyro_log_level level, const char *message, void *payload);

/**
 * Installs the process-wide log callback, replacing any previous one.
 * @param level   the least severe level delivered; PYRO_LOG_OFF silences the library
 * @param cb      the callback, or NULL to silence the library
 * @param payload passed back to @p cb unchanged
 * @return PYRO_OK, or PYRO_E_INVALID_ARGUMENT for a level outside the enum
 */
PYRO_EXTERN(pyro_status) pyro_log_set(pyro_log_level level, pyro_log_cb cb, void *payload);

PYRO_END_DECL

#endif /* PYRO_C_LOG_H */

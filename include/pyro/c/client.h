/**
 * @file pyro/c/client.h
 * @brief The client handle: one per embedder, owner of the VMs it creates.
 *
 *     pyro_client_options opts = PYRO_CLIENT_OPTIONS_INIT;
 *     opts.accelerator = "tcg";
 *     pyro_client *client = NULL;
 *     pyro_error *err = NULL;
 *     if (pyro_client_new(&client, &opts, &err) != PYRO_OK) { ... }
 *     ...
 *     pyro_client_free(client);   // stops and deletes every VM it still owns
 *
 * A client is thread-safe: its operations may be called from several threads
 * at once; operations on different VMs run concurrently.
 */
#ifndef PYRO_C_CLIENT_H
#define PYRO_C_CLIENT_H

#include "pyro/c/common.h"
#include "pyro/c/error.h"

PYRO_BEGIN_DECL

/** Opaque client handle. */
typedef struct pyro_client pyro_client;

/**
 * Client options. Versioned: fields are only ever appended, and the library
 * rejects a `version` it does not know. Initialise with PYRO_CLIENT_OPTIONS_INIT
 * or pyro_client_options_init(). Strings are copied by pyro_client_new().
 */
typedef struct pyro_client_options {
    unsigned int version;        /**< PYRO_CLIENT_OPTIONS_VERSION */
    /** Cache and state directory. NULL or "": $PYRO_HOME, else
     *  $XDG_CACHE_HOME/pyro, else ~/.cache/pyro. */
    const char *home;
    /** "auto", "kvm" or "tcg". NULL or "": $PYRO_ACCEL, else "auto". */
    const char *accelerator;
    /** The VMM binary. NULL or "": $PYRO_QEMU, else qemu-system-x86_64 from PATH. */
    const char *qemu_binary;
    /** Deadline for one boot, VMM start to agent hello (default 30). */
    double boot_timeout_seconds;
} pyro_client_options;

#define PYRO_CLIENT_OPTIONS_VERSION 1
#define PYRO_CLIENT_OPTIONS_INIT { PYRO_CLIENT_OPTIONS_VERSION, NULL, NULL, NULL, 30.0 }

/**
 * Fills @p opts with the defaults of PYRO_CLIENT_OPTIONS_INIT.
 * @param opts    the struct to initialise
 * @param version PYRO_CLIENT_OPTIONS_VERSION
 * @return PYRO_OK, or PYRO_E_INVALID_ARGUMENT when @p opts is NULL or
 *         @p version is unknown
 */
PYRO_EXTERN(pyro_status) pyro_client_options_init(pyro_client_options *opts, unsigned int version);

/**
 * Opens a client. Cheap: nothing is booted or probed until first needed.
 * @param out  receives the new client, owned by the caller (pyro_client_free);
 *             set to NULL on failure
 * @param opts options, or NULL for the defaults
 * @param err  optional error details
 * @return PYRO_OK, or PYRO_E_INVALID_ARGUMENT (NULL @p out, unknown options
 *         version, malformed option)
 */
PYRO_EXTERN(pyro_status) pyro_client_new(pyro_client **out, const pyro_client_options *opts,
                                         pyro_error **err);

/**
 * The resolved cache/state directory of a client.
 * @return a string borrowed from @p client, or NULL when @p client is NULL
 */
PYRO_EXTERN(const char *) pyro_client_home(const pyro_client *client);

/**
 * Stops and deletes every VM the client still owns, then releases it.
 * NULL is allowed and does nothing. Must not race with calls on the same client.
 */
PYRO_EXTERN(void) pyro_client_free(pyro_client *client);

PYRO_END_DECL

#endif /* PYRO_C_CLIENT_H */

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
    /* ---- since version 2 (pyro 0.2) ---- */
    /** Where the guest agent and the environment build scripts live. NULL or "":
     *  $PYRO_GUEST_DIR, else found next to the library, else the build tree. */
    const char *guest_dir;
    /** Non-zero: pull a catalog environment on first use instead of failing
     *  with PYRO_E_NOT_FOUND (default 0). */
    int auto_pull;
    /** Start VMs from snapshots: "0" disables. NULL or "": $PYRO_SNAPSHOTS,
     *  else on. */
    const char *snapshots;
} pyro_client_options;

/** Version 1 (pyro 0.1) ends at `boot_timeout_seconds`; version 2 adds
 *  `guest_dir`, `auto_pull` and `snapshots`. Both are accepted: fields beyond
 *  an older version's end are not read and take their defaults. */
#define PYRO_CLIENT_OPTIONS_VERSION 2
#define PYRO_CLIENT_OPTIONS_INIT { PYRO_CLIENT_OPTIONS_VERSION, NULL, NULL, NULL, 30.0, NULL, 0, NULL }

/**
 * Fills @p opts with the defaults of PYRO_CLIENT_OPTIONS_INIT. With an older
 * @p version only that version's fields are written, so a struct compiled
 * against an older header is never overrun.
 * @param opts    the struct to initialise
 * @param version PYRO_CLIENT_OPTIONS_VERSION, or an older known version (1)
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
 *         version, malformed option). Options versions 1 and 2 are accepted.
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

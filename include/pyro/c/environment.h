/**
 * @file pyro/c/environment.h
 * @brief Environments: the guest images VMs are made from. List, inspect,
 *        pull (build into the cache), import (from an OCI or docker image)
 *        and prune them.
 *
 *     pyro_environment_list *envs = NULL;
 *     if (pyro_list_environments(&envs, client, NULL) == PYRO_OK) {
 *         for (size_t i = 0; i < pyro_environment_list_count(envs); ++i)
 *             puts(pyro_environment_info_name(pyro_environment_list_get(envs, i)));
 *         pyro_environment_list_free(envs);
 *     }
 *
 *     static void on_progress(const pyro_progress *p, void *payload) {
 *         fprintf((FILE *)payload, "%s: %s\n", p->stage, p->message);
 *     }
 *     pyro_pull_options pull = PYRO_PULL_OPTIONS_INIT;
 *     pull.progress = on_progress;
 *     pull.progress_payload = stderr;
 *     pyro_environment_info *info = NULL;
 *     if (pyro_pull_environment(&info, client, "debian:12", &pull, &err) == PYRO_OK) {
 *         printf("%s %s\n", pyro_environment_info_path(info), pyro_environment_info_sha256(info));
 *         pyro_environment_info_free(info);
 *     }
 *
 * Strings returned by accessors are borrowed from their handle, valid until it
 * is freed. Accessors accept NULL (returning NULL or 0).
 */
#ifndef PYRO_C_ENVIRONMENT_H
#define PYRO_C_ENVIRONMENT_H

#include "pyro/c/client.h"
#include "pyro/c/common.h"
#include "pyro/c/error.h"
#include "pyro/c/progress.h"

PYRO_BEGIN_DECL

/** Opaque description of one environment. */
typedef struct pyro_environment_info pyro_environment_info;
/** Opaque list of environments. */
typedef struct pyro_environment_list pyro_environment_list;
/** Opaque outcome of pyro_prune_environments(). */
typedef struct pyro_prune_result pyro_prune_result;

/**
 * The progress callback of version 1 of pyro_pull_options and pyro_import_options:
 * one line (a pyro_progress's `message`). Version 2 takes a pyro_progress_cb
 * (pyro/c/progress.h) in the same field; a version 1 struct still works.
 */
typedef void (*pyro_progress_line_cb)(const char *message, void *payload);

/* ---- options -------------------------------------------------------------- */

/** Options of pyro_pull_environment(). Versioned and append-only. */
typedef struct pyro_pull_options {
    unsigned int version;      /**< PYRO_PULL_OPTIONS_VERSION */
    int force;                 /**< non-zero: rebuild even when the cached one is current */
    pyro_progress_cb progress; /**< NULL: no progress (version 1: a pyro_progress_line_cb) */
    void *progress_payload;    /**< passed to @c progress as is */
} pyro_pull_options;

#define PYRO_PULL_OPTIONS_VERSION 2
#define PYRO_PULL_OPTIONS_INIT { PYRO_PULL_OPTIONS_VERSION, 0, NULL, NULL }

/**
 * Fills @p opts with the defaults of PYRO_PULL_OPTIONS_INIT.
 * @return PYRO_OK, or PYRO_E_INVALID_ARGUMENT for NULL @p opts or an unknown @p version
 *         (1 and 2 are known)
 */
PYRO_EXTERN(pyro_status) pyro_pull_options_init(pyro_pull_options *opts, unsigned int version);

/** Options of pyro_import_environment(). Versioned and append-only. */
typedef struct pyro_import_options {
    unsigned int version;      /**< PYRO_IMPORT_OPTIONS_VERSION */
    int force;                 /**< non-zero: replace an imported environment of the same name */
    pyro_progress_cb progress; /**< NULL: no progress (version 1: a pyro_progress_line_cb) */
    void *progress_payload;    /**< passed to @c progress as is */
} pyro_import_options;

#define PYRO_IMPORT_OPTIONS_VERSION 2
#define PYRO_IMPORT_OPTIONS_INIT { PYRO_IMPORT_OPTIONS_VERSION, 0, NULL, NULL }

/**
 * Fills @p opts with the defaults of PYRO_IMPORT_OPTIONS_INIT.
 * @return PYRO_OK, or PYRO_E_INVALID_ARGUMENT for NULL @p opts or an unknown @p version
 *         (1 and 2 are known)
 */
PYRO_EXTERN(pyro_status) pyro_import_options_init(pyro_import_options *opts, unsigned int version);

/** Options of pyro_prune_environments(). Versioned and append-only. */
typedef struct pyro_prune_options {
    unsigned int version; /**< PYRO_PRUNE_OPTIONS_VERSION */
    int all;              /**< non-zero: also remove installed environments */
    int dry_run;          /**< non-zero: report what would be removed, remove nothing */
} pyro_prune_options;

#define PYRO_PRUNE_OPTIONS_VERSION 1
#define PYRO_PRUNE_OPTIONS_INIT { PYRO_PRUNE_OPTIONS_VERSION, 0, 0 }

/**
 * Fills @p opts with the defaults of PYRO_PRUNE_OPTIONS_INIT.
 * @return PYRO_OK, or PYRO_E_INVALID_ARGUMENT for NULL @p opts or an unknown @p version
 */
PYRO_EXTERN(pyro_status) pyro_prune_options_init(pyro_prune_options *opts, unsigned int version);

/* ---- environment info ------------------------------------------------------ */

/** Name, e.g. "busybox", "debian:12". */
PYRO_EXTERN(const char *) pyro_environment_info_name(const pyro_environment_info *info);
PYRO_EXTERN(const char *) pyro_environment_info_description(const pyro_environment_info *info);
/** Non-zero when its artifacts are present in the cache. */
PYRO_EXTERN(int) pyro_environment_info_installed(const pyro_environment_info *info);
/** Cache directory of the artifacts, "" when not installed. */
PYRO_EXTERN(const char *) pyro_environment_info_path(const pyro_environment_info *info);
PYRO_EXTERN(const char *) pyro_environment_info_kernel_version(const pyro_environment_info *info);
PYRO_EXTERN(const char *) pyro_environment_info_agent_version(const pyro_environment_info *info);
/** Content hash of the environment, "" when not installed. */
PYRO_EXTERN(const char *) pyro_environment_info_sha256(const pyro_environment_info *info);
/** "catalog" (built by pyro) or "import" (from an OCI/docker image). Since 0.2. */
PYRO_EXTERN(const char *) pyro_environment_info_source(const pyro_environment_info *info);
/** E.g. "12" for debian:12, or the image reference. Since 0.2. */
PYRO_EXTERN(const char *) pyro_environment_info_version(const pyro_environment_info *info);
/** Number of Debian packages requested (0 for busybox and imports). Since 0.2. */
PYRO_EXTERN(size_t) pyro_environment_info_package_count(const pyro_environment_info *info);
/** Package @p index, borrowed; NULL when out of range. Since 0.2. */
PYRO_EXTERN(const char *) pyro_environment_info_package(const pyro_environment_info *info,
                                                       size_t index);
/** Bytes the environment takes in the cache (0 when not installed). Since 0.2. */
PYRO_EXTERN(uint64_t) pyro_environment_info_size_bytes(const pyro_environment_info *info);
/** When it was built, RFC 3339 UTC; "" when not installed. Since 0.2. */
PYRO_EXTERN(const char *) pyro_environment_info_built_at(const pyro_environment_info *info);
/** Non-zero when it boots into an ext4 root filesystem (0: initramfs only). Since 0.2. */
PYRO_EXTERN(int) pyro_environment_info_has_rootfs(const pyro_environment_info *info);
/** Non-zero when a snapshot template exists for the default VM shape. Since 0.2. */
PYRO_EXTERN(int) pyro_environment_info_snapshot_ready(const pyro_environment_info *info);

/**
 * Releases an info returned by pyro_pull_environment(), pyro_inspect_environment()
 * or pyro_import_environment(). NULL is allowed. Never pass an entry borrowed
 * from a pyro_environment_list.
 */
PYRO_EXTERN(void) pyro_environment_info_free(pyro_environment_info *info);

/* ---- environment list ----------------------------------------------------- */

/** Number of entries (0 for NULL). */
PYRO_EXTERN(size_t) pyro_environment_list_count(const pyro_environment_list *list);
/** Entry @p index, borrowed; NULL when out of range. */
PYRO_EXTERN(const pyro_environment_info *) pyro_environment_list_get(
    const pyro_environment_list *list, size_t index);
/** Releases a list and its entries. NULL is allowed. */
PYRO_EXTERN(void) pyro_environment_list_free(pyro_environment_list *list);

/* ---- prune result --------------------------------------------------------- */

/** Number of paths removed (or that would be, on a dry run). */
PYRO_EXTERN(size_t) pyro_prune_result_count(const pyro_prune_result *res);
/** Removed path @p index, borrowed; NULL when out of range. */
PYRO_EXTERN(const char *) pyro_prune_result_path(const pyro_prune_result *res, size_t index);
/** Bytes freed (or that would be, on a dry run). */
PYRO_EXTERN(uint64_t) pyro_prune_result_bytes_freed(const pyro_prune_result *res);
/** Releases a prune result. NULL is allowed. */
PYRO_EXTERN(void) pyro_prune_result_free(pyro_prune_result *res);

/* ---- operations ----------------------------------------------------------- */

/**
 * Lists the environments of the catalog (installed or not) and imported ones.
 * @param out receives the list (caller frees with pyro_environment_list_free)
 * @return PYRO_OK; unexpected failures only
 */
PYRO_EXTERN(pyro_status) pyro_list_environments(pyro_environment_list **out, pyro_client *client,
                                                pyro_error **err);

/**
 * Builds a catalog environment into the cache, or does nothing when the cached
 * one is current. Safe against concurrent pulls from other processes; an
 * interrupted pull leaves nothing half-built. The progress callback is called
 * on the calling thread; it must not call back into pyro and must not unwind
 * (a C++ exception escaping it is caught and reported as PYRO_E_USER once the
 * pull has finished).
 * @param out  receives the installed environment (pyro_environment_info_free)
 * @param opts options, or NULL for the defaults
 * @return PYRO_OK, or PYRO_E_NOT_FOUND (not in the catalog), PYRO_E_UNAVAILABLE
 *         (build tools, network), PYRO_E_INVALID_ARGUMENT (NULL argument, unknown
 *         options version)
 */
PYRO_EXTERN(pyro_status) pyro_pull_environment(pyro_environment_info **out, pyro_client *client,
                                               const char *name, const pyro_pull_options *opts,
                                               pyro_error **err);

/**
 * Describes one environment.
 * @param out receives the description (pyro_environment_info_free)
 * @return PYRO_OK, or PYRO_E_NOT_FOUND, PYRO_E_INVALID_ARGUMENT (NULL argument)
 */
PYRO_EXTERN(pyro_status) pyro_inspect_environment(pyro_environment_info **out, pyro_client *client,
                                                  const char *name, pyro_error **err);

/**
 * Removes stale cache entries (old builds, unreferenced snapshot templates,
 * downloads), and with `all` every environment.
 * @param out  receives what was removed (pyro_prune_result_free)
 * @param opts options, or NULL for the defaults
 * @return PYRO_OK, or PYRO_E_INVALID_ARGUMENT (NULL argument, unknown options version)
 */
PYRO_EXTERN(pyro_status) pyro_prune_environments(pyro_prune_result **out, pyro_client *client,
                                                 const pyro_prune_options *opts,
                                                 pyro_error **err);

/**
 * Imports an OCI image layout (directory or tarball) or a `docker save`
 * tarball as environment @p name. Progress as for pyro_pull_environment().
 * @param out    receives the imported environment (pyro_environment_info_free)
 * @param source path of the image
 * @param opts   options, or NULL for the defaults
 * @return PYRO_OK, or PYRO_E_INVALID_ARGUMENT (unsafe or malformed archive, bad
 *         name, NULL argument), PYRO_E_ALREADY_EXISTS (without force; catalog
 *         names are reserved), PYRO_E_NOT_FOUND (source missing)
 */
PYRO_EXTERN(pyro_status) pyro_import_environment(pyro_environment_info **out, pyro_client *client,
                                                 const char *name, const char *source,
                                                 const pyro_import_options *opts,
                                                 pyro_error **err);

PYRO_END_DECL

#endif /* PYRO_C_ENVIRONMENT_H */

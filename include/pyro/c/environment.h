/**
 * @file pyro/c/environment.h
 * @brief The environment catalog: which guest images exist and which are installed.
 *
 *     pyro_environment_list *envs = NULL;
 *     if (pyro_list_environments(&envs, client, NULL) == PYRO_OK) {
 *         for (size_t i = 0; i < pyro_environment_list_count(envs); ++i)
 *             puts(pyro_environment_info_name(pyro_environment_list_get(envs, i)));
 *         pyro_environment_list_free(envs);
 *     }
 *
 * Strings returned by accessors are borrowed from the list, valid until it is
 * freed. Accessors accept NULL (returning NULL or 0).
 */
#ifndef PYRO_C_ENVIRONMENT_H
#define PYRO_C_ENVIRONMENT_H

#include "pyro/c/client.h"
#include "pyro/c/common.h"
#include "pyro/c/error.h"

PYRO_BEGIN_DECL

/** Opaque description of one environment. */
typedef struct pyro_environment_info pyro_environment_info;
/** Opaque list of environments. */
typedef struct pyro_environment_list pyro_environment_list;

/** Name, e.g. "busybox". */
PYRO_EXTERN(const char *) pyro_environment_info_name(const pyro_environment_info *info);
PYRO_EXTERN(const char *) pyro_environment_info_description(const pyro_environment_info *info);
/** Non-zero when its artifacts are present in the cache. */
PYRO_EXTERN(int) pyro_environment_info_installed(const pyro_environment_info *info);
/** Cache directory of the artifacts, "" when not installed. */
PYRO_EXTERN(const char *) pyro_environment_info_path(const pyro_environment_info *info);
PYRO_EXTERN(const char *) pyro_environment_info_kernel_version(const pyro_environment_info *info);
PYRO_EXTERN(const char *) pyro_environment_info_agent_version(const pyro_environment_info *info);
/** Content hash of the boot set, "" when not installed. */
PYRO_EXTERN(const char *) pyro_environment_info_sha256(const pyro_environment_info *info);

/** Number of entries (0 for NULL). */
PYRO_EXTERN(size_t) pyro_environment_list_count(const pyro_environment_list *list);
/** Entry @p index, borrowed; NULL when out of range. */
PYRO_EXTERN(const pyro_environment_info *) pyro_environment_list_get(
    const pyro_environment_list *list, size_t index);
/** Releases a list and its entries. NULL is allowed. */
PYRO_EXTERN(void) pyro_environment_list_free(pyro_environment_list *list);

/**
 * Lists the environments of the catalog, installed or not.
 * @param out receives the list (caller frees with pyro_environment_list_free)
 * @return PYRO_OK; unexpected failures only
 */
PYRO_EXTERN(pyro_status) pyro_list_environments(pyro_environment_list **out, pyro_client *client,
                                                pyro_error **err);

PYRO_END_DECL

#endif /* PYRO_C_ENVIRONMENT_H */

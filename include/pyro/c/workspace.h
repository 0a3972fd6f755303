/**
 * @file pyro/c/workspace.h
 * @brief Workspaces: long-lived VMs with a persistent /workspace disk. Create,
 *        list, inspect, relabel, exec, snapshot, reset, stop, start, delete.
 *        File-level operations are in pyro/c/workspace_files.h, services and
 *        shells in pyro/c/workspace_services.h.
 *
 *     pyro_workspace_options opts = PYRO_WORKSPACE_OPTIONS_INIT;
 *     opts.seed_path = "./project";
 *     pyro_workspace_info *ws = NULL;
 *     if (pyro_create_workspace(&ws, client, "busybox", &opts, &err) == PYRO_OK) {
 *         pyro_exec_result *res = NULL;
 *         pyro_exec_workspace(&res, client, ws->workspace_id, "ls", NULL, &err);
 *         pyro_exec_result_free(res);
 *         pyro_delete_workspace(client, ws->workspace_id, NULL);
 *         pyro_workspace_info_free(ws);
 *     }
 *
 * Workspaces belong to no client: they persist under the client's home until
 * deleted, and any process may drive them by id ("ws-" + 12 hex digits) or name.
 *
 * Results are plain structs whose fields the caller reads directly. They are
 * allocated by the library and released with their `_free` function (which
 * accepts NULL), never with free(). Every string field is non-NULL and
 * NUL-terminated ("" when unset), borrowed from the struct. The library may
 * append fields at the end of these structs in later minor versions, so never
 * allocate one yourself, copy one by value or depend on its size; lists hold
 * arrays of *pointers* to elements for the same reason.
 */
#ifndef PYRO_C_WORKSPACE_H
#define PYRO_C_WORKSPACE_H

#include "pyro/c/client.h"
#include "pyro/c/common.h"
#include "pyro/c/error.h"
#include "pyro/c/progress.h"
#include "pyro/c/vm.h"

PYRO_BEGIN_DECL

/* ---- options -------------------------------------------------------------- */

/**
 * How a workspace is made (pyro_create_workspace). Versioned and append-only;
 * start from PYRO_WORKSPACE_OPTIONS_INIT or pyro_workspace_options_init().
 * Fields are passed as given (0 is not "default"). Strings are copied before
 * the call returns.
 */
typedef struct pyro_workspace_options {
    unsigned int version; /**< PYRO_WORKSPACE_OPTIONS_VERSION */
    uint32_t vcpu_count;  /**< 1..8, default 1 */
    uint32_t mem_mib;     /**< 64..16384, default 256 */
    uint64_t disk_mib;    /**< size of the /workspace disk (sparse), 64..1048576, default 2048 */
    /** "off" (no NIC), "egress" (outbound allowed) or "egress+published-ports"
     *  (services' published ports also forwarded from 127.0.0.1); NULL or "": "off". */
    const char *network_policy;
    /** Host directory or .tar/.tar.gz/.tgz/.zip copied into /workspace (the
     *  baseline); NULL or "": start empty. */
    const char *seed_path;
    /** Unique name, [A-Za-z0-9._-], 1-63 chars; NULL or "": none. */
    const char *name;
    /** Labels as parallel arrays of @c label_count keys and values. */
    size_t label_count;
    const char *const *label_keys;
    const char *const *label_values;
    /** Secrets as parallel arrays of @c secret_count entries. Each has a name
     *  (1-63 of [A-Za-z0-9._-]) and exactly one of a value (secret_values[i]) or a
     *  host file read once at create (secret_files[i]); the other is NULL (either
     *  array may be NULL when no entry uses it). Values stay on the host (0600),
     *  reach a process only through `secret_env`, and are redacted from all output. */
    size_t secret_count;
    const char *const *secret_names;
    const char *const *secret_values;
    const char *const *secret_files;
    /* Since version 2: */
    /** Progress: stages "copy seed" (bytes of a seed directory, entries of an
     *  archive), "make disk", "start workspace"; NULL: none. */
    pyro_progress_cb progress;
    void *progress_payload;   /**< passed to @c progress as is */
} pyro_workspace_options;

#define PYRO_WORKSPACE_OPTIONS_VERSION 2
#define PYRO_WORKSPACE_OPTIONS_INIT \
    { PYRO_WORKSPACE_OPTIONS_VERSION, 1, 256, 2048u, NULL, NULL, NULL, 0, NULL, NULL, \
      0, NULL, NULL, NULL, NULL, NULL }

/**
 * Fills @p opts with the defaults of PYRO_WORKSPACE_OPTIONS_INIT.
 * @return PYRO_OK, or PYRO_E_INVALID_ARGUMENT for NULL @p opts or an unknown @p version
 *         (1, without the progress fields, and 2 are known)
 */
PYRO_EXTERN(pyro_status) pyro_workspace_options_init(pyro_workspace_options *opts,
                                                     unsigned int version);

/**
 * Changes made by pyro_update_workspace(). Versioned and append-only; start
 * from PYRO_WORKSPACE_UPDATE_INIT or pyro_workspace_update_init().
 */
typedef struct pyro_workspace_update {
    unsigned int version; /**< PYRO_WORKSPACE_UPDATE_VERSION */
    /** NULL: keep the name; "": remove it; else the new name. */
    const char *name;
    /** Non-zero: replace all labels with the arrays below (count 0 removes all). */
    int replace_labels;
    size_t label_count;
    const char *const *label_keys;
    const char *const *label_values;
} pyro_workspace_update;

#define PYRO_WORKSPACE_UPDATE_VERSION 1
#define PYRO_WORKSPACE_UPDATE_INIT { PYRO_WORKSPACE_UPDATE_VERSION, NULL, 0, 0, NULL, NULL }

/**
 * Fills @p update with PYRO_WORKSPACE_UPDATE_INIT (changes nothing).
 * @return PYRO_OK, or PYRO_E_INVALID_ARGUMENT for NULL @p update or an unknown @p version
 */
PYRO_EXTERN(pyro_status) pyro_workspace_update_init(pyro_workspace_update *update,
                                                    unsigned int version);

/* ---- results -------------------------------------------------------------- */

/** Lifecycle state of a workspace. */
typedef enum pyro_workspace_state {
    PYRO_WORKSPACE_STOPPED = 0,
    PYRO_WORKSPACE_RUNNING = 1,
    PYRO_WORKSPACE_CRASHED = 2
} pyro_workspace_state;

/** Wire name of a state ("stopped", "running", "crashed"); static, "unknown" if out of range. */
PYRO_EXTERN(const char *) pyro_workspace_state_str(pyro_workspace_state state);

/** One workspace's description and state at the time of the call. */
typedef struct pyro_workspace_info {
    const char *workspace_id;  /**< "ws-" + 12 hex digits */
    const char *name;          /**< "" when unnamed */
    const char *environment;
    pyro_workspace_state state;
    uint32_t vcpu_count;
    uint32_t mem_mib;
    uint64_t disk_mib;
    const char *network_policy; /**< "off", "egress" or "egress+published-ports" */
    size_t label_count;        /**< labels, sorted by key */
    const char *const *label_keys;
    const char *const *label_values;
    const char *created_at;    /**< RFC 3339, UTC */
    const char *updated_at;
    const char *accelerator;   /**< "kvm" or "tcg" while running, else "" */
    int64_t pid;               /**< VMM process id while running, else 0 */
    uint64_t boot_ms;          /**< last start: VMM start to /workspace mounted */
    const char *start_mode;    /**< last start: "clone" or "cold" */
    const char *crash_reason;  /**< state crashed: what is known about the death */
    uint64_t disk_bytes;       /**< host bytes the disk occupies (sparse) */
    const char *path;          /**< the workspace's state directory on the host */
    size_t secret_count;       /**< secret names, sorted; values never leave the host store */
    const char *const *secret_names;
} pyro_workspace_info;

/** Releases an info returned by an operation. NULL is allowed. Do not pass
 *  an info borrowed from a pyro_workspace_list. */
PYRO_EXTERN(void) pyro_workspace_info_free(pyro_workspace_info *info);

/** Workspaces, oldest first. */
typedef struct pyro_workspace_list {
    pyro_workspace_info **items; /**< @c count entries, owned by the list */
    size_t count;
} pyro_workspace_list;

/** Releases a list and its entries. NULL is allowed. */
PYRO_EXTERN(void) pyro_workspace_list_free(pyro_workspace_list *list);

/** One saved state of a workspace's /workspace disk. */
typedef struct pyro_workspace_snapshot_info {
    const char *name;
    const char *created_at;  /**< RFC 3339, UTC */
    uint64_t disk_bytes;     /**< host bytes the saved disk occupies */
} pyro_workspace_snapshot_info;

/** Releases a snapshot info returned by pyro_create_snapshot(). NULL is allowed. */
PYRO_EXTERN(void) pyro_workspace_snapshot_info_free(pyro_workspace_snapshot_info *info);

/** Snapshots of one workspace. */
typedef struct pyro_workspace_snapshot_list {
    pyro_workspace_snapshot_info **items; /**< @c count entries, owned by the list */
    size_t count;
} pyro_workspace_snapshot_list;

/** Releases a list and its entries. NULL is allowed. */
PYRO_EXTERN(void) pyro_workspace_snapshot_list_free(pyro_workspace_snapshot_list *list);

/* ---- operations ----------------------------------------------------------- */

/**
 * Creates a workspace whose /workspace holds the seed (the baseline), and starts it.
 * @param out         receives its info (caller frees with pyro_workspace_info_free)
 * @param environment environment name, e.g. "busybox"
 * @param opts        options, or NULL for the defaults
 * @return PYRO_OK; PYRO_E_INVALID_ARGUMENT (options, unsafe seed archive),
 *         PYRO_E_NOT_FOUND (environment, seed), PYRO_E_ALREADY_EXISTS (name),
 *         PYRO_E_RESOURCE_EXHAUSTED (seed larger than the disk), PYRO_E_UNAVAILABLE,
 *         PYRO_E_DEADLINE_EXCEEDED, PYRO_E_VM_CRASHED. Nothing is left behind on failure.
 */
PYRO_EXTERN(pyro_status) pyro_create_workspace(pyro_workspace_info **out, pyro_client *client,
                                               const char *environment,
                                               const pyro_workspace_options *opts,
                                               pyro_error **err);

/**
 * Every workspace under the client's home, oldest first; notices VMMs that died.
 * @param out receives the list (caller frees with pyro_workspace_list_free)
 * @return PYRO_OK; unexpected failures only
 */
PYRO_EXTERN(pyro_status) pyro_list_workspaces(pyro_workspace_list **out, pyro_client *client,
                                              pyro_error **err);

/**
 * One workspace.
 * @param workspace id or name
 * @return PYRO_OK; PYRO_E_NOT_FOUND
 */
PYRO_EXTERN(pyro_status) pyro_status_workspace(pyro_workspace_info **out, pyro_client *client,
                                               const char *workspace, pyro_error **err);

/**
 * Renames or relabels a workspace.
 * @param update the changes, or NULL for none
 * @return PYRO_OK; PYRO_E_NOT_FOUND, PYRO_E_INVALID_ARGUMENT, PYRO_E_ALREADY_EXISTS (name)
 */
PYRO_EXTERN(pyro_status) pyro_update_workspace(pyro_workspace_info **out, pyro_client *client,
                                               const char *workspace,
                                               const pyro_workspace_update *update,
                                               pyro_error **err);

/**
 * Stops the VM and removes the workspace with its disk and snapshots.
 * @return PYRO_OK; PYRO_E_NOT_FOUND
 */
PYRO_EXTERN(pyro_status) pyro_delete_workspace(pyro_client *client, const char *workspace,
                                               pyro_error **err);

/**
 * Runs one shell command in the running workspace; state persists between calls.
 * @param out  receives the result (caller frees with pyro_exec_result_free)
 * @param exec exec options, or NULL for the defaults; cwd NULL or "" means /workspace;
 *             `secret_env` injects the workspace's secrets (redacted from the output)
 * @return PYRO_OK; PYRO_E_NOT_FOUND, PYRO_E_FAILED_PRECONDITION (not running),
 *         PYRO_E_INVALID_ARGUMENT, PYRO_E_DEADLINE_EXCEEDED, PYRO_E_VM_CRASHED
 */
PYRO_EXTERN(pyro_status) pyro_exec_workspace(pyro_exec_result **out, pyro_client *client,
                                             const char *workspace, const char *command,
                                             const pyro_exec_options *exec, pyro_error **err);

/**
 * Saves the /workspace disk under @p name (the VM keeps running).
 * @param out receives its info (caller frees with pyro_workspace_snapshot_info_free)
 * @return PYRO_OK; PYRO_E_NOT_FOUND, PYRO_E_ALREADY_EXISTS, PYRO_E_INVALID_ARGUMENT (name)
 */
PYRO_EXTERN(pyro_status) pyro_create_snapshot(pyro_workspace_snapshot_info **out,
                                              pyro_client *client, const char *workspace,
                                              const char *name, pyro_error **err);

/**
 * The snapshots of a workspace.
 * @param out receives the list (caller frees with pyro_workspace_snapshot_list_free)
 * @return PYRO_OK; PYRO_E_NOT_FOUND
 */
PYRO_EXTERN(pyro_status) pyro_list_snapshots(pyro_workspace_snapshot_list **out,
                                             pyro_client *client, const char *workspace,
                                             pyro_error **err);

/**
 * Deletes one snapshot.
 * @return PYRO_OK; PYRO_E_NOT_FOUND (workspace or snapshot)
 */
PYRO_EXTERN(pyro_status) pyro_delete_snapshot(pyro_client *client, const char *workspace,
                                              const char *name, pyro_error **err);

/**
 * Restarts the workspace with /workspace as it was at the baseline or at a
 * snapshot. Processes in the VM are ended.
 * @param snapshot a snapshot name, or NULL (or "") for the baseline
 * @return PYRO_OK; PYRO_E_NOT_FOUND
 */
PYRO_EXTERN(pyro_status) pyro_reset_workspace(pyro_workspace_info **out, pyro_client *client,
                                              const char *workspace, const char *snapshot,
                                              pyro_error **err);

/**
 * Shuts the VM down; /workspace stays on disk. Idempotent.
 * @return PYRO_OK; PYRO_E_NOT_FOUND
 */
PYRO_EXTERN(pyro_status) pyro_stop_workspace(pyro_workspace_info **out, pyro_client *client,
                                             const char *workspace, pyro_error **err);

/**
 * Boots a stopped or crashed workspace from its disk. Idempotent when running.
 * @return PYRO_OK; PYRO_E_NOT_FOUND, PYRO_E_UNAVAILABLE, PYRO_E_DEADLINE_EXCEEDED,
 *         PYRO_E_VM_CRASHED
 */
PYRO_EXTERN(pyro_status) pyro_start_workspace(pyro_workspace_info **out, pyro_client *client,
                                              const char *workspace, pyro_error **err);

PYRO_END_DECL

#endif /* PYRO_C_WORKSPACE_H */

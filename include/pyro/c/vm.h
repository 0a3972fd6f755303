/**
 * @file pyro/c/vm.h
 * @brief VM operations: run_in_vm and the create/start/exec/status/list/delete lifecycle.
 *
 * One-shot use:
 *
 *     pyro_exec_result *res = NULL;
 *     if (pyro_run_in_vm(&res, client, "busybox", "echo hi", NULL, NULL, &err) == PYRO_OK) {
 *         size_t len;
 *         const char *out = pyro_exec_result_stdout(res, &len);   // "hi\n", len 3
 *         int code = pyro_exec_result_exit_code(res);            // 0
 *         pyro_exec_result_free(res);
 *     }
 *
 * A guest command that exits non-zero is a result, not an error. Operation
 * names match spec/operations.json: C `pyro_<op>`, C++ `pyro::Pyro::<op>`,
 * Python `pyro.Pyro.<op>`.
 *
 * Ownership: every `**out` handle belongs to the caller and is released with
 * its `_free` function (never with free()). Accessors return values or
 * pointers borrowed from the handle, valid until it is freed. Accessors and
 * `_free` functions accept NULL (returning 0, NULL or false).
 */
#ifndef PYRO_C_VM_H
#define PYRO_C_VM_H

#include "pyro/c/client.h"
#include "pyro/c/common.h"
#include "pyro/c/error.h"
#include "pyro/c/output.h"

PYRO_BEGIN_DECL

/* ---- options -------------------------------------------------------------- */

/**
 * How a VM is shaped (create_vm, run_in_vm). Versioned and append-only; fields
 * are passed as given (0 is not "default": vcpu_count 0 is rejected), so
 * start from PYRO_VM_OPTIONS_INIT or pyro_vm_options_init().
 */
typedef struct pyro_vm_options {
    unsigned int version; /**< PYRO_VM_OPTIONS_VERSION */
    uint32_t vcpu_count;  /**< 1..8, default 1 */
    uint32_t mem_mib;     /**< 64..16384, default 256 */
    int network;          /**< non-zero: QEMU user-mode networking; 0 (default): no NIC */
} pyro_vm_options;

#define PYRO_VM_OPTIONS_VERSION 1
#define PYRO_VM_OPTIONS_INIT { PYRO_VM_OPTIONS_VERSION, 1, 256, 0 }

/**
 * Fills @p opts with the defaults of PYRO_VM_OPTIONS_INIT.
 * @return PYRO_OK, or PYRO_E_INVALID_ARGUMENT for NULL @p opts or an unknown @p version
 */
PYRO_EXTERN(pyro_status) pyro_vm_options_init(pyro_vm_options *opts, unsigned int version);

/**
 * How one command runs (run_in_vm, exec_vm). Versioned and append-only; start
 * from PYRO_EXEC_OPTIONS_INIT or pyro_exec_options_init(). Strings are copied
 * before the call returns.
 */
typedef struct pyro_exec_options {
    unsigned int version;     /**< PYRO_EXEC_OPTIONS_VERSION */
    double timeout_seconds;   /**< the guest kills the command after this; default 30 */
    uint64_t max_output_bytes; /**< per stream; the rest is dropped and flagged; default 1 MiB */
    /** Extra environment variables: NULL, or a NULL-terminated array of
     *  "KEY=VALUE" strings (like execve's envp). The first '=' splits key from
     *  value; an entry without '=' or with an empty key is PYRO_E_INVALID_ARGUMENT. */
    const char *const *env;
    /** Working directory in the guest; NULL or "": the guest's default (/). */
    const char *cwd;
    /** Workspaces only (pyro_exec_workspace): secrets to inject, as a
     *  NULL-terminated array of "ENV_VAR=secret_name" strings, parsed like @c env.
     *  Their values are redacted from the output. NULL: none. */
    const char *const *secret_env;
    /* Version 2 (since 0.3); a version 1 struct ends above. */
    /** Called with each chunk of output while the command runs (pyro/c/output.h); NULL: none. */
    pyro_output_cb on_output;
    void *output_payload;  /**< passed to @c on_output as is */
    /** A cancel handle (pyro/c/output.h), borrowed for the call; NULL: none. */
    pyro_cancel *cancel;
} pyro_exec_options;

#define PYRO_EXEC_OPTIONS_VERSION 2
#define PYRO_EXEC_OPTIONS_INIT { PYRO_EXEC_OPTIONS_VERSION, 30.0, 1048576u, NULL, NULL, NULL, NULL, NULL, NULL }

/**
 * Fills @p opts with the defaults of PYRO_EXEC_OPTIONS_INIT (version 1 or 2;
 * version 1 fills only the fields of a version 1 struct).
 * @return PYRO_OK, or PYRO_E_INVALID_ARGUMENT for NULL @p opts or an unknown @p version
 */
PYRO_EXTERN(pyro_status) pyro_exec_options_init(pyro_exec_options *opts, unsigned int version);

/* ---- exec result ---------------------------------------------------------- */

/** Opaque outcome of one guest command. */
typedef struct pyro_exec_result pyro_exec_result;

/** Shell-style exit status: the exit code, or 128+signal when killed. */
PYRO_EXTERN(int) pyro_exec_result_exit_code(const pyro_exec_result *res);
/** The signal that ended the command, 0 if it exited. */
PYRO_EXTERN(int) pyro_exec_result_signal(const pyro_exec_result *res);
/** Non-zero when the guest killed the command at timeout_seconds. */
PYRO_EXTERN(int) pyro_exec_result_timed_out(const pyro_exec_result *res);
/** Non-zero when the command was cancelled (pyro/c/output.h); since 0.3. */
PYRO_EXTERN(int) pyro_exec_result_cancelled(const pyro_exec_result *res);
/**
 * The captured stdout. Binary-safe: may contain NUL bytes; always followed by
 * an extra NUL not counted in the length, so text output can be used as a C string.
 * @param res     the result
 * @param len_out receives the length in bytes (may be NULL)
 * @return bytes borrowed from @p res; never NULL for a non-NULL @p res
 */
PYRO_EXTERN(const char *) pyro_exec_result_stdout(const pyro_exec_result *res, size_t *len_out);
/** The captured stderr; same contract as pyro_exec_result_stdout(). */
PYRO_EXTERN(const char *) pyro_exec_result_stderr(const pyro_exec_result *res, size_t *len_out);
/** Non-zero when stdout exceeded max_output_bytes and was cut. */
PYRO_EXTERN(int) pyro_exec_result_stdout_truncated(const pyro_exec_result *res);
/** Non-zero when stderr exceeded max_output_bytes and was cut. */
PYRO_EXTERN(int) pyro_exec_result_stderr_truncated(const pyro_exec_result *res);
/** Command wall time as measured in the guest, in milliseconds. */
PYRO_EXTERN(uint64_t) pyro_exec_result_duration_ms(const pyro_exec_result *res);
/** Id of the VM that ran the command (deleted by now); borrowed. */
PYRO_EXTERN(const char *) pyro_exec_result_vm_id(const pyro_exec_result *res);
/** Releases a result. NULL is allowed. */
PYRO_EXTERN(void) pyro_exec_result_free(pyro_exec_result *res);

/* ---- vm info -------------------------------------------------------------- */

/** Lifecycle state of a VM. */
typedef enum pyro_vm_state {
    PYRO_VM_CREATED = 0,
    PYRO_VM_RUNNING = 1,
    PYRO_VM_STOPPED = 2,
    PYRO_VM_CRASHED = 3
} pyro_vm_state;

/** Wire name of a state ("created", "running", ...); static, "unknown" if out of range. */
PYRO_EXTERN(const char *) pyro_vm_state_str(pyro_vm_state state);

/** Opaque snapshot of one VM's description and state. */
typedef struct pyro_vm_info pyro_vm_info;

/** The VM's id (borrowed). */
PYRO_EXTERN(const char *) pyro_vm_info_vm_id(const pyro_vm_info *info);
/** The environment it was created from (borrowed). */
PYRO_EXTERN(const char *) pyro_vm_info_environment(const pyro_vm_info *info);
/** State at the time of the snapshot. */
PYRO_EXTERN(pyro_vm_state) pyro_vm_info_state(const pyro_vm_info *info);
PYRO_EXTERN(uint32_t) pyro_vm_info_vcpu_count(const pyro_vm_info *info);
PYRO_EXTERN(uint32_t) pyro_vm_info_mem_mib(const pyro_vm_info *info);
/** Non-zero when the VM has a NIC. */
PYRO_EXTERN(int) pyro_vm_info_network(const pyro_vm_info *info);
/** "kvm" or "tcg" once started, "" before (borrowed). */
PYRO_EXTERN(const char *) pyro_vm_info_accelerator(const pyro_vm_info *info);
/** VMM process id while running, else 0. */
PYRO_EXTERN(int64_t) pyro_vm_info_pid(const pyro_vm_info *info);
/** Creation time, RFC 3339 UTC (borrowed). */
PYRO_EXTERN(const char *) pyro_vm_info_created_at(const pyro_vm_info *info);
/** Milliseconds from VMM start to the agent's hello, once started; else 0. */
PYRO_EXTERN(uint64_t) pyro_vm_info_boot_ms(const pyro_vm_info *info);
/** Releases a VM info returned by an operation. NULL is allowed. Do not pass
 *  an info borrowed from a pyro_vm_list. */
PYRO_EXTERN(void) pyro_vm_info_free(pyro_vm_info *info);

/** Opaque list of VM infos. */
typedef struct pyro_vm_list pyro_vm_list;

/** Number of entries (0 for NULL). */
PYRO_EXTERN(size_t) pyro_vm_list_count(const pyro_vm_list *list);
/** Entry @p index, borrowed from @p list; NULL when out of range. */
PYRO_EXTERN(const pyro_vm_info *) pyro_vm_list_get(const pyro_vm_list *list, size_t index);
/** Releases a list and its entries. NULL is allowed. */
PYRO_EXTERN(void) pyro_vm_list_free(pyro_vm_list *list);

/* ---- operations ----------------------------------------------------------- */

/**
 * Boots a fresh VM of @p environment, runs @p command with /bin/sh -c, deletes
 * the VM, and returns the result.
 * @param out         receives the result (caller frees with pyro_exec_result_free)
 * @param client      the client
 * @param environment environment name, e.g. "busybox"
 * @param command     shell command
 * @param vm          VM options, or NULL for the defaults
 * @param exec        exec options, or NULL for the defaults
 * @param err         optional error details
 * @return PYRO_OK; PYRO_E_INVALID_ARGUMENT (sizes, timeout, NULL arguments),
 *         PYRO_E_NOT_FOUND (environment), PYRO_E_UNAVAILABLE (no VMM or
 *         accelerator), PYRO_E_DEADLINE_EXCEEDED (boot), PYRO_E_VM_CRASHED
 */
PYRO_EXTERN(pyro_status) pyro_run_in_vm(pyro_exec_result **out, pyro_client *client,
                                        const char *environment, const char *command,
                                        const pyro_vm_options *vm, const pyro_exec_options *exec,
                                        pyro_error **err);

/**
 * Registers a VM without booting it.
 * @param out receives its info (caller frees with pyro_vm_info_free)
 * @param vm  VM options, or NULL for the defaults
 * @return PYRO_OK; PYRO_E_INVALID_ARGUMENT, PYRO_E_NOT_FOUND (environment)
 */
PYRO_EXTERN(pyro_status) pyro_create_vm(pyro_vm_info **out, pyro_client *client,
                                        const char *environment, const pyro_vm_options *vm,
                                        pyro_error **err);

/**
 * Boots a created VM and waits until its agent answers.
 * @param out receives the updated info (caller frees with pyro_vm_info_free)
 * @return PYRO_OK; PYRO_E_NOT_FOUND (id), PYRO_E_FAILED_PRECONDITION (not in
 *         state created), PYRO_E_UNAVAILABLE, PYRO_E_DEADLINE_EXCEEDED
 */
PYRO_EXTERN(pyro_status) pyro_start_vm(pyro_vm_info **out, pyro_client *client,
                                       const char *vm_id, pyro_error **err);

/**
 * Runs one command in a VM, then deletes the VM whatever the outcome. Starts
 * the VM first if it is only created.
 * @param exec exec options, or NULL for the defaults
 * @return PYRO_OK; PYRO_E_NOT_FOUND, PYRO_E_INVALID_ARGUMENT,
 *         PYRO_E_DEADLINE_EXCEEDED (agent silent), PYRO_E_VM_CRASHED
 */
PYRO_EXTERN(pyro_status) pyro_exec_vm(pyro_exec_result **out, pyro_client *client,
                                      const char *vm_id, const char *command,
                                      const pyro_exec_options *exec, pyro_error **err);

/**
 * The current state of one VM.
 * @param out receives a snapshot (caller frees with pyro_vm_info_free)
 * @return PYRO_OK; PYRO_E_NOT_FOUND
 */
PYRO_EXTERN(pyro_status) pyro_status_vm(pyro_vm_info **out, pyro_client *client,
                                        const char *vm_id, pyro_error **err);

/**
 * Every VM this client owns, oldest first.
 * @param out receives the list (caller frees with pyro_vm_list_free)
 * @return PYRO_OK; unexpected failures only
 */
PYRO_EXTERN(pyro_status) pyro_list_vms(pyro_vm_list **out, pyro_client *client, pyro_error **err);

/**
 * Stops (if running) and forgets a VM.
 * @return PYRO_OK; PYRO_E_NOT_FOUND
 */
PYRO_EXTERN(pyro_status) pyro_delete_vm(pyro_client *client, const char *vm_id, pyro_error **err);

PYRO_END_DECL

#endif /* PYRO_C_VM_H */

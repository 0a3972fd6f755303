/**
 * @file pyro/c/output.h
 * @brief Live output and cancellation of guest commands (since 0.3):
 *        pyro_run_in_vm(), pyro_exec_vm(), pyro_exec_workspace() and pyro_call_json_ex().
 *
 *     static void on_output(pyro_output_stream stream, const char *data, size_t len, void *payload) {
 *         fwrite(data, 1, len, stream == PYRO_OUTPUT_STDERR ? stderr : stdout);
 *     }
 *     pyro_cancel *cancel = NULL;
 *     pyro_cancel_new(&cancel, NULL);
 *     pyro_exec_options exec = PYRO_EXEC_OPTIONS_INIT;
 *     exec.on_output = on_output;
 *     exec.cancel = cancel;          // pyro_cancel_cancel(cancel) from another thread stops it
 *     pyro_run_in_vm(&res, client, "busybox", "make test", NULL, &exec, &err);
 *     // pyro_exec_result_cancelled(res) says whether it was cancelled
 *     pyro_cancel_free(cancel);      // once no call uses it any more
 */
#ifndef PYRO_C_OUTPUT_H
#define PYRO_C_OUTPUT_H

#include "pyro/c/common.h"
#include "pyro/c/error.h"

PYRO_BEGIN_DECL

/** The stream a chunk of output came from. */
typedef enum pyro_output_stream {
    PYRO_OUTPUT_STDOUT = 1,
    PYRO_OUTPUT_STDERR = 2
} pyro_output_stream;

/**
 * Receives one chunk of a running command's output, on the thread that made the
 * call, before it returns. In a workspace, secrets are already redacted, also
 * one split across chunks. The chunks of a stream make up that stream of the
 * result.
 * @param stream  which stream
 * @param data    the bytes (binary-safe, not NUL-terminated), valid only during the call
 * @param len     their number, never 0
 * @param payload the `output_payload` of the options
 * To stop the command from the callback, call pyro_cancel_cancel() on its
 * handle. A callback must not throw (from C++) or longjmp out; if a C++
 * exception does come through, the command is cancelled and the call fails
 * with PYRO_E_USER.
 */
typedef void (*pyro_output_cb)(pyro_output_stream stream, const char *data, size_t len, void *payload);

/** A cancel handle: cancels the commands whose options name it. Opaque. */
typedef struct pyro_cancel pyro_cancel;

/**
 * Creates a cancel handle (not cancelled).
 * @param out receives it; release with pyro_cancel_free()
 * @return PYRO_OK, PYRO_E_INVALID_ARGUMENT (NULL @p out), PYRO_E_RESOURCE_EXHAUSTED
 */
PYRO_EXTERN(pyro_status) pyro_cancel_new(pyro_cancel **out, pyro_error **err);

/**
 * Cancels: a command that runs with this handle has its process group killed in
 * the guest, and its result says so (pyro_exec_result_cancelled()); one started
 * later is cancelled at once. Thread-safe, idempotent, never blocks; NULL is
 * ignored. The VM or workspace stays usable.
 */
PYRO_EXTERN(void) pyro_cancel_cancel(pyro_cancel *cancel);

/** Non-zero once pyro_cancel_cancel() was called; 0 for NULL. */
PYRO_EXTERN(int) pyro_cancel_is_cancelled(const pyro_cancel *cancel);

/** Releases a handle no running call uses any more. NULL is allowed. */
PYRO_EXTERN(void) pyro_cancel_free(pyro_cancel *cancel);

PYRO_END_DECL

#endif /* PYRO_C_OUTPUT_H */

/**
 * @file pyro/c/call.h
 * @brief Any operation by name, with JSON in and out (since 0.3).
 *
 *     char *result = NULL;
 *     pyro_error *err = NULL;
 *     if (pyro_call_json(&result, client, "exec_workspace",
 *                        "{\"workspace\": \"demo\", \"command\": \"ls\"}", &err) != PYRO_OK) {
 *         fprintf(stderr, "error: %s\n", pyro_error_message(err));
 *         pyro_error_free(err);
 *     } else {
 *         puts(result);   // {"exit_code": 0, "stdout": "...", ...}
 *     }
 *     pyro_string_free(result);
 *
 * The operations, their parameters and the JSON form of their results are those
 * of the operation table (spec/operations.json, spec/result_schemas.json), the
 * same for every surface. The typed functions of the other headers stay the
 * way to call pyro from C with C types; this is the way to drive it by name
 * (agent tool calls, bindings for other languages, RPC bridges).
 */
#ifndef PYRO_C_CALL_H
#define PYRO_C_CALL_H

#include "pyro/c/common.h"
#include "pyro/c/error.h"
#include "pyro/c/client.h"
#include "pyro/c/progress.h"
#include "pyro/c/output.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Runs a table operation.
 * @param out            receives the result's JSON text, NUL-terminated UTF-8
 *                       (caller frees with pyro_string_free); lists are
 *                       {"items": [...]}, operations without a result give {}
 * @param operation      its table name ("exec_workspace") or MCP tool name ("vm_run")
 * @param arguments_json a JSON object of its parameters; NULL or "" for none
 * @return PYRO_OK; PYRO_E_INVALID_ARGUMENT for an unknown operation, JSON that does
 *         not parse or an argument the table rejects (the message names it); else
 *         the operation's own errors. A guest command's non-zero exit is a result.
 */
PYRO_EXTERN(pyro_status) pyro_call_json(char **out, pyro_client *client, const char *operation,
                                        const char *arguments_json, pyro_error **err);

/** Per-call hooks of pyro_call_json_ex() that JSON cannot carry. Versioned and append-only. */
typedef struct pyro_call_options {
    unsigned int version;      /**< PYRO_CALL_OPTIONS_VERSION */
    /** Progress of pull_environment, import_environment and create_workspace; NULL: none. */
    pyro_progress_cb progress;
    void *progress_payload;    /**< passed to @c progress as is */
    /* Version 2 (since 0.3); a version 1 struct ends above. */
    /** Live output of run_in_vm, exec_vm and exec_workspace (pyro/c/output.h); NULL: none. */
    pyro_output_cb on_output;
    void *output_payload;      /**< passed to @c on_output as is */
    /** Cancels run_in_vm, exec_vm and exec_workspace (pyro/c/output.h); NULL: none. */
    pyro_cancel *cancel;
} pyro_call_options;

#define PYRO_CALL_OPTIONS_VERSION 2
#define PYRO_CALL_OPTIONS_INIT { PYRO_CALL_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL }

/**
 * pyro_call_json() with options (since 0.3); NULL @p opts is pyro_call_json().
 * @return as pyro_call_json(); PYRO_E_INVALID_ARGUMENT for an unknown options
 *         version (1 and 2 are known); PYRO_E_USER when the progress or output
 *         callback threw a C++ exception
 */
PYRO_EXTERN(pyro_status) pyro_call_json_ex(char **out, pyro_client *client, const char *operation,
                                           const char *arguments_json, const pyro_call_options *opts,
                                           pyro_error **err);

/**
 * The MCP Tool objects (name, title, description, inputSchema, outputSchema,
 * annotations) of a profile ("vm-run", "workspace-core", "workspace-full").
 * @param out receives a JSON array (caller frees with pyro_string_free)
 * @return PYRO_OK, or PYRO_E_INVALID_ARGUMENT for an unknown profile
 */
PYRO_EXTERN(pyro_status) pyro_tool_definitions_json(char **out, const char *profile, pyro_error **err);

/**
 * The operation table (spec/operations.json) as compiled in.
 * @param out receives its JSON text (caller frees with pyro_string_free)
 */
PYRO_EXTERN(pyro_status) pyro_operation_table_json(char **out, pyro_error **err);

/** Frees a string a pyro function returned through `out`; NULL is fine. */
PYRO_EXTERN(void) pyro_string_free(char *s);

#ifdef __cplusplus
}
#endif

#endif /* PYRO_C_CALL_H */

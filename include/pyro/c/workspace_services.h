/**
 * @file pyro/c/workspace_services.h
 * @brief Services (long-running processes supervised by the guest agent) and
 *        interactive shells (PTY sessions) inside a running workspace (since 0.3).
 *
 *     pyro_service_options svc = PYRO_SERVICE_OPTIONS_INIT;
 *     svc.readiness_type = "file";
 *     svc.readiness_path = "/tmp/ready";
 *     pyro_service_info *info = NULL;
 *     if (pyro_start_service(&info, client, ws, "web", "touch /tmp/ready; exec httpd -f",
 *                            &svc, &err) == PYRO_OK) {
 *         printf("%s pid %lld\n", info->state, (long long)info->pid);
 *         pyro_service_info_free(info);
 *     }
 *
 *     pyro_shell_info *sh = NULL, *typed = NULL;
 *     pyro_shell_output *o = NULL;
 *     pyro_output_read_options rd = PYRO_OUTPUT_READ_OPTIONS_INIT;
 *     rd.wait_seconds = 2;
 *     if (pyro_open_shell(&sh, client, ws, NULL, &err) == PYRO_OK &&
 *         pyro_write_shell(&typed, client, ws, sh->shell_id, "cd /tmp; echo hi\n", &err) == PYRO_OK &&
 *         pyro_read_shell(&o, client, ws, sh->shell_id, &rd, &err) == PYRO_OK) {
 *         fwrite(o->output, 1, o->output_len, stdout);  (next read: rd.cursor = o->next_cursor)
 *     }
 *
 * Output (service logs, shell output) is kept in a bounded ring per service and
 * per shell and read from a byte cursor: pass `next_cursor` of one read as the
 * `cursor` of the next; `missed_bytes` counts what the ring dropped before it
 * was read. Secret values are replaced by "[REDACTED]" in every output.
 *
 * `env` and `secret_env` are NULL-terminated arrays of "KEY=VALUE" strings, as
 * in pyro_exec_options: secret_env maps an environment variable to the name of
 * one of the workspace's secrets ("API_TOKEN=github").
 *
 * Results follow the rules of pyro/c/workspace.h: plain structs allocated by
 * the library, released with their `_free` (NULL allowed), string fields never
 * NULL, fields only appended, lists of pointers.
 */
#ifndef PYRO_C_WORKSPACE_SERVICES_H
#define PYRO_C_WORKSPACE_SERVICES_H

#include "pyro/c/client.h"
#include "pyro/c/common.h"
#include "pyro/c/error.h"

PYRO_BEGIN_DECL

/* ---- options -------------------------------------------------------------- */

/**
 * How a service runs and when it counts as started (pyro_start_service).
 * Versioned and append-only; start from PYRO_SERVICE_OPTIONS_INIT or
 * pyro_service_options_init(). Strings and arrays are copied before the call returns.
 */
typedef struct pyro_service_options {
    unsigned int version;          /**< PYRO_SERVICE_OPTIONS_VERSION */
    const char *cwd;               /**< NULL or "": /workspace */
    const char *const *env;        /**< NULL-terminated "KEY=VALUE" strings, or NULL */
    const char *const *secret_env; /**< NULL-terminated "ENV_VAR=secret_name" strings, or NULL */
    /** Readiness check: NULL or "" (ready once spawned), "file", "tcp", "http" or
     *  "command". The guest agent polls it every readiness_interval_ms until it
     *  passes or readiness_timeout_seconds run out (then the service is stopped,
     *  its state is "failed" and the call returns PYRO_E_DEADLINE_EXCEEDED). */
    const char *readiness_type;
    const char *readiness_path;    /**< file: exists (absolute, or relative to cwd) */
    uint32_t readiness_port;       /**< tcp: 127.0.0.1:port accepts a connection */
    const char *readiness_url;     /**< http: GET returns 2xx, e.g. "http://127.0.0.1:8080/" */
    const char *readiness_command; /**< command: `sh -c` exits 0 */
    double readiness_timeout_seconds; /**< default 30, at most 600 */
    uint32_t readiness_interval_ms;   /**< default 200 */
    /** Guest TCP ports forwarded from 127.0.0.1 on the host (the result tells
     *  which host port each got); needs network_policy "egress+published-ports". */
    size_t published_port_count;
    const uint32_t *published_ports;
    const char *restart;           /**< "never" (NULL or ""), "on-failure" or "always" */
    uint32_t max_restarts;         /**< then the service stays exited; default 5 */
} pyro_service_options;

#define PYRO_SERVICE_OPTIONS_VERSION 1
#define PYRO_SERVICE_OPTIONS_INIT \
    { PYRO_SERVICE_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, 30.0, 200u, \
      0, NULL, NULL, 5u }

/**
 * Fills @p opts with the defaults of PYRO_SERVICE_OPTIONS_INIT.
 * @return PYRO_OK, or PYRO_E_INVALID_ARGUMENT for NULL @p opts or an unknown @p version
 */
PYRO_EXTERN(pyro_status) pyro_service_options_init(pyro_service_options *opts,
                                                   unsigned int version);

/** How pyro_stop_service() stops. Versioned and append-only. */
typedef struct pyro_service_stop_options {
    unsigned int version;  /**< PYRO_SERVICE_STOP_OPTIONS_VERSION */
    /** Sent to the service's process group first: "TERM" (NULL or ""), "INT",
     *  "HUP", "QUIT", "KILL", "USR1" or "USR2". */
    const char *signal;
    double grace_seconds;  /**< then SIGKILL; default 5 */
} pyro_service_stop_options;

#define PYRO_SERVICE_STOP_OPTIONS_VERSION 1
#define PYRO_SERVICE_STOP_OPTIONS_INIT { PYRO_SERVICE_STOP_OPTIONS_VERSION, NULL, 5.0 }

/**
 * Fills @p opts with PYRO_SERVICE_STOP_OPTIONS_INIT.
 * @return PYRO_OK, or PYRO_E_INVALID_ARGUMENT for NULL @p opts or an unknown @p version
 */
PYRO_EXTERN(pyro_status) pyro_service_stop_options_init(pyro_service_stop_options *opts,
                                                        unsigned int version);

/** Where pyro_logs_service() and pyro_read_shell() read. Versioned and append-only. */
typedef struct pyro_output_read_options {
    unsigned int version; /**< PYRO_OUTPUT_READ_OPTIONS_VERSION */
    /** >= 0: from this byte offset (next_cursor of the previous read); -1 (the
     *  default): services: the last @c tail_lines lines, shells: the oldest byte kept. */
    int64_t cursor;
    uint32_t tail_lines;  /**< services with cursor -1; default 100 */
    uint64_t max_bytes;   /**< 1..1048576; default 65536 */
    double wait_seconds;  /**< wait up to this long for output past the cursor; default 0 */
} pyro_output_read_options;

#define PYRO_OUTPUT_READ_OPTIONS_VERSION 1
#define PYRO_OUTPUT_READ_OPTIONS_INIT \
    { PYRO_OUTPUT_READ_OPTIONS_VERSION, -1, 100u, 65536u, 0.0 }

/**
 * Fills @p opts with PYRO_OUTPUT_READ_OPTIONS_INIT.
 * @return PYRO_OK, or PYRO_E_INVALID_ARGUMENT for NULL @p opts or an unknown @p version
 */
PYRO_EXTERN(pyro_status) pyro_output_read_options_init(pyro_output_read_options *opts,
                                                       unsigned int version);

/** How pyro_open_shell() opens a shell. Versioned and append-only. */
typedef struct pyro_shell_options {
    unsigned int version;          /**< PYRO_SHELL_OPTIONS_VERSION */
    const char *cwd;               /**< NULL or "": /workspace */
    const char *const *env;        /**< NULL-terminated "KEY=VALUE" strings, or NULL */
    const char *const *secret_env; /**< NULL-terminated "ENV_VAR=secret_name" strings, or NULL */
    uint32_t cols;                 /**< terminal size; default 120 */
    uint32_t rows;                 /**< default 40 */
} pyro_shell_options;

#define PYRO_SHELL_OPTIONS_VERSION 1
#define PYRO_SHELL_OPTIONS_INIT { PYRO_SHELL_OPTIONS_VERSION, NULL, NULL, NULL, 120u, 40u }

/**
 * Fills @p opts with PYRO_SHELL_OPTIONS_INIT.
 * @return PYRO_OK, or PYRO_E_INVALID_ARGUMENT for NULL @p opts or an unknown @p version
 */
PYRO_EXTERN(pyro_status) pyro_shell_options_init(pyro_shell_options *opts, unsigned int version);

/* ---- results -------------------------------------------------------------- */

/** A guest port forwarded from host:host_port (always 127.0.0.1). */
typedef struct pyro_published_port {
    uint32_t guest_port;
    uint32_t host_port;
    const char *host;     /**< "127.0.0.1" */
} pyro_published_port;

/** One service's state at the time of the call. */
typedef struct pyro_service_info {
    const char *name;
    const char *command;
    const char *cwd;
    /** "starting", "running", "exited" (ended by itself), "failed" (never became
     *  ready; stopped) or "stopped" (by pyro_stop_service) */
    const char *state;
    int64_t pid;          /**< guest pid while running, else 0 */
    int exit_code;        /**< last exit, shell-style (128+N for signal N); 0 while starting or
                               running (check `state`; pyro_call_json gives null then) */
    int signal;           /**< the signal that ended it, 0 if it exited */
    uint32_t restarts;
    const char *started_at; /**< RFC 3339, UTC (the guest's clock) */
    const char *ended_at;   /**< "" while running */
    const char *readiness;  /**< "" or the readiness type */
    int ready;              /**< non-zero: the readiness check passed */
    pyro_published_port **published_ports; /**< @c published_port_count entries */
    size_t published_port_count;
} pyro_service_info;

/** Releases an info returned by an operation. NULL is allowed. Do not pass one
 *  borrowed from a list or a logs result. */
PYRO_EXTERN(void) pyro_service_info_free(pyro_service_info *info);

/** The services of a workspace, ended ones included. */
typedef struct pyro_service_list {
    pyro_service_info **items; /**< @c count entries, owned by the list */
    size_t count;
} pyro_service_list;

/** Releases a list and its entries. NULL is allowed. */
PYRO_EXTERN(void) pyro_service_list_free(pyro_service_list *list);

/** A piece of a service's output (stdout and stderr interleaved), secrets redacted. */
typedef struct pyro_service_logs {
    const char *name;
    const char *output;     /**< binary-safe bytes, followed by a NUL not counted in @c output_len */
    size_t output_len;
    int64_t cursor;         /**< offset of the first byte returned */
    int64_t next_cursor;    /**< pass it as the next read's cursor */
    uint64_t missed_bytes;  /**< dropped from the ring before @c cursor was read */
    int more;               /**< non-zero: output past next_cursor is already available */
    pyro_service_info *service; /**< state at the time of the read; owned by this struct */
} pyro_service_logs;

/** Releases logs with their service info. NULL is allowed. */
PYRO_EXTERN(void) pyro_service_logs_free(pyro_service_logs *logs);

/** One shell's state at the time of the call. */
typedef struct pyro_shell_info {
    const char *shell_id;   /**< "sh-" + 8 hex digits */
    const char *state;      /**< "running" or "exited" */
    int64_t pid;
    int exit_code;          /**< when exited; 0 while running (pyro_call_json gives null) */
    uint32_t cols;
    uint32_t rows;
    const char *cwd;        /**< where it started */
    const char *created_at; /**< RFC 3339, UTC */
} pyro_shell_info;

/** Releases an info returned by an operation. NULL is allowed. */
PYRO_EXTERN(void) pyro_shell_info_free(pyro_shell_info *info);

/** A piece of a shell's terminal output, secrets redacted. */
typedef struct pyro_shell_output {
    const char *shell_id;
    const char *output;     /**< binary-safe bytes, followed by a NUL not counted in @c output_len */
    size_t output_len;
    int64_t cursor;         /**< offset of the first byte returned */
    int64_t next_cursor;    /**< pass it as the next read's cursor */
    uint64_t missed_bytes;  /**< dropped from the ring before @c cursor was read */
    int more;               /**< non-zero: output past next_cursor is already available */
    pyro_shell_info *shell; /**< state at the time of the read; owned by this struct */
} pyro_shell_output;

/** Releases an output with its shell info. NULL is allowed. */
PYRO_EXTERN(void) pyro_shell_output_free(pyro_shell_output *output);

/* ---- services ------------------------------------------------------------- */

/**
 * Starts @p command (`sh -c`) as service @p name and waits for its readiness
 * check. A name whose service ended may be reused.
 * @param out     receives its info (caller frees with pyro_service_info_free)
 * @param name    1-63 of [A-Za-z0-9._-]
 * @param opts    options, or NULL for the defaults
 * @return PYRO_OK; PYRO_E_INVALID_ARGUMENT, PYRO_E_NOT_FOUND (workspace, secret, cwd),
 *         PYRO_E_ALREADY_EXISTS (running under that name), PYRO_E_FAILED_PRECONDITION
 *         (published ports without egress+published-ports; exited before ready),
 *         PYRO_E_DEADLINE_EXCEEDED (not ready in time; the message ends with its last
 *         log lines), PYRO_E_RESOURCE_EXHAUSTED
 */
PYRO_EXTERN(pyro_status) pyro_start_service(pyro_service_info **out, pyro_client *client,
                                            const char *workspace, const char *name,
                                            const char *command,
                                            const pyro_service_options *opts, pyro_error **err);

/**
 * The services of a workspace with their state.
 * @param out receives the list (caller frees with pyro_service_list_free)
 * @return PYRO_OK; PYRO_E_NOT_FOUND, PYRO_E_FAILED_PRECONDITION (not running)
 */
PYRO_EXTERN(pyro_status) pyro_list_services(pyro_service_list **out, pyro_client *client,
                                            const char *workspace, pyro_error **err);

/**
 * State, pid, exit code and restarts of one service.
 * @return PYRO_OK; PYRO_E_NOT_FOUND, PYRO_E_FAILED_PRECONDITION
 */
PYRO_EXTERN(pyro_status) pyro_status_service(pyro_service_info **out, pyro_client *client,
                                             const char *workspace, const char *name,
                                             pyro_error **err);

/**
 * Reads a service's output: the last lines (cursor -1) or from a cursor.
 * @param out  receives the logs (caller frees with pyro_service_logs_free)
 * @param opts where to read, or NULL for the defaults (the last 100 lines)
 * @return PYRO_OK; PYRO_E_NOT_FOUND, PYRO_E_INVALID_ARGUMENT, PYRO_E_FAILED_PRECONDITION
 */
PYRO_EXTERN(pyro_status) pyro_logs_service(pyro_service_logs **out, pyro_client *client,
                                           const char *workspace, const char *name,
                                           const pyro_output_read_options *opts,
                                           pyro_error **err);

/**
 * Stops a service: a signal to its process group, SIGKILL after the grace
 * period; removes its published ports. Idempotent on an ended service.
 * @param opts options, or NULL for the defaults (TERM, 5 s)
 * @return PYRO_OK; PYRO_E_NOT_FOUND, PYRO_E_INVALID_ARGUMENT, PYRO_E_FAILED_PRECONDITION
 */
PYRO_EXTERN(pyro_status) pyro_stop_service(pyro_service_info **out, pyro_client *client,
                                           const char *workspace, const char *name,
                                           const pyro_service_stop_options *opts,
                                           pyro_error **err);

/* ---- shells --------------------------------------------------------------- */

/**
 * Opens an interactive shell on a PTY; its cwd and variables persist between writes.
 * @param out  receives its info (caller frees with pyro_shell_info_free)
 * @param opts options, or NULL for the defaults
 * @return PYRO_OK; PYRO_E_NOT_FOUND (workspace, secret, cwd), PYRO_E_INVALID_ARGUMENT,
 *         PYRO_E_RESOURCE_EXHAUSTED (too many shells), PYRO_E_FAILED_PRECONDITION
 */
PYRO_EXTERN(pyro_status) pyro_open_shell(pyro_shell_info **out, pyro_client *client,
                                         const char *workspace, const pyro_shell_options *opts,
                                         pyro_error **err);

/**
 * Types @p input into the shell (end a line with "\n" to run it).
 * @param input NUL-terminated, at most 65536 bytes
 * @return PYRO_OK; PYRO_E_NOT_FOUND, PYRO_E_INVALID_ARGUMENT,
 *         PYRO_E_FAILED_PRECONDITION (the shell exited)
 */
PYRO_EXTERN(pyro_status) pyro_write_shell(pyro_shell_info **out, pyro_client *client,
                                          const char *workspace, const char *shell_id,
                                          const char *input, pyro_error **err);

/**
 * Reads a shell's output from a cursor (replayable while the ring keeps it).
 * @param out  receives the output (caller frees with pyro_shell_output_free)
 * @param opts where to read, or NULL for the defaults (from the oldest byte kept)
 * @return PYRO_OK; PYRO_E_NOT_FOUND, PYRO_E_INVALID_ARGUMENT, PYRO_E_FAILED_PRECONDITION
 */
PYRO_EXTERN(pyro_status) pyro_read_shell(pyro_shell_output **out, pyro_client *client,
                                         const char *workspace, const char *shell_id,
                                         const pyro_output_read_options *opts, pyro_error **err);

/**
 * Changes a shell's terminal size.
 * @return PYRO_OK; PYRO_E_NOT_FOUND, PYRO_E_INVALID_ARGUMENT, PYRO_E_FAILED_PRECONDITION
 */
PYRO_EXTERN(pyro_status) pyro_resize_shell(pyro_shell_info **out, pyro_client *client,
                                           const char *workspace, const char *shell_id,
                                           uint32_t cols, uint32_t rows, pyro_error **err);

/**
 * Sends a signal to the shell's foreground process group.
 * @param signal "INT" (NULL or ""), "TERM", "HUP", "QUIT", "KILL", "TSTP", "CONT",
 *               "USR1", "USR2" or "WINCH", with or without "SIG"
 * @return PYRO_OK; PYRO_E_NOT_FOUND, PYRO_E_INVALID_ARGUMENT, PYRO_E_FAILED_PRECONDITION
 */
PYRO_EXTERN(pyro_status) pyro_signal_shell(pyro_shell_info **out, pyro_client *client,
                                           const char *workspace, const char *shell_id,
                                           const char *signal, pyro_error **err);

/**
 * Ends a shell (SIGHUP, then SIGKILL) and forgets its output.
 * @return PYRO_OK; PYRO_E_NOT_FOUND, PYRO_E_FAILED_PRECONDITION
 */
PYRO_EXTERN(pyro_status) pyro_close_shell(pyro_client *client, const char *workspace,
                                          const char *shell_id, pyro_error **err);

PYRO_END_DECL

#endif /* PYRO_C_WORKSPACE_SERVICES_H */

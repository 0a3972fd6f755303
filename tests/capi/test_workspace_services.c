/* C API test: services, shells, secrets and network policy through
 * include/pyro/c/workspace_services.h — option defaults, NULL arguments and
 * malformed options (no VM), then one real "busybox" workspace with a secret:
 * a service with file readiness (status, list, logs, stop), a shell (write,
 * read from a cursor, close) and exec with secret_env redacted. Prints one
 * line per step and "capi: N passed, M failed"; exits non-zero on any failure,
 * including a core that does not implement these operations yet. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pyro/c/pyro.h"
#include "test_support.h"

static const char *const kEnv = "busybox";
static const char *const kUnknown = "ws-000000000000";
static const char *const kSecret = "capi-s3cr3t-Value-4711";
static char ws_id[64]; /* the workspace under test, "" once deleted */

/* Calls that must succeed: prints the error and returns 0 otherwise. Takes
 * the error by address: the call's status argument is evaluated in
 * unspecified order, so *errp is read only after the call has set it. */
static int ok(pyro_status s, pyro_error **errp, const char *what) {
    if (s == PYRO_OK) return 1;
    ++failed;
    fprintf(stderr, "FAIL %s: %s: %s\n", what, pyro_status_str(s), pyro_error_message(*errp));
    pyro_error_free(*errp);
    *errp = NULL;
    return 0;
}

/* The call failed with `code` and *errp names `word`. Takes the error by
 * address: the call's status argument is evaluated in unspecified order. */
static int fails_naming(pyro_status s, pyro_error **errp, pyro_status code, const char *word) {
    pyro_error *err = *errp;
    int good = s == code && err != NULL && pyro_error_code(err) == code &&
               strstr(pyro_error_message(err), word) != NULL;
    if (!good)
        fprintf(stderr, "  got %s \"%s\", want %s naming `%s`\n", pyro_status_str(s),
                err ? pyro_error_message(err) : "(no error)", pyro_status_str(code), word);
    pyro_error_free(err);
    *errp = NULL;
    return good;
}

static void test_options(void) {
    const int failed_before = failed;
    pyro_service_options svc;
    pyro_service_stop_options stop;
    pyro_output_read_options rd;
    pyro_shell_options sh;
    pyro_workspace_options ws;
    pyro_exec_options ex;

    CHECK(pyro_service_options_init(&svc, PYRO_SERVICE_OPTIONS_VERSION) == PYRO_OK);
    CHECK(svc.readiness_type == NULL && svc.readiness_timeout_seconds == 30.0 &&
          svc.readiness_interval_ms == 200 && svc.published_port_count == 0 &&
          svc.restart == NULL && svc.max_restarts == 5 && svc.env == NULL && svc.secret_env == NULL);
    CHECK(pyro_service_stop_options_init(&stop, PYRO_SERVICE_STOP_OPTIONS_VERSION) == PYRO_OK);
    CHECK(stop.signal == NULL && stop.grace_seconds == 5.0);
    CHECK(pyro_output_read_options_init(&rd, PYRO_OUTPUT_READ_OPTIONS_VERSION) == PYRO_OK);
    CHECK(rd.cursor == -1 && rd.tail_lines == 100 && rd.max_bytes == 65536 && rd.wait_seconds == 0.0);
    CHECK(pyro_shell_options_init(&sh, PYRO_SHELL_OPTIONS_VERSION) == PYRO_OK);
    CHECK(sh.cols == 120 && sh.rows == 40 && sh.cwd == NULL);
    CHECK(pyro_workspace_options_init(&ws, PYRO_WORKSPACE_OPTIONS_VERSION) == PYRO_OK);
    CHECK(ws.network_policy == NULL && ws.secret_count == 0 && ws.secret_names == NULL);
    CHECK(pyro_exec_options_init(&ex, PYRO_EXEC_OPTIONS_VERSION) == PYRO_OK && ex.secret_env == NULL);

    CHECK(pyro_service_options_init(NULL, PYRO_SERVICE_OPTIONS_VERSION) == PYRO_E_INVALID_ARGUMENT);
    CHECK(pyro_service_options_init(&svc, 99) == PYRO_E_INVALID_ARGUMENT);
    CHECK(pyro_service_stop_options_init(&stop, 99) == PYRO_E_INVALID_ARGUMENT);
    CHECK(pyro_output_read_options_init(NULL, PYRO_OUTPUT_READ_OPTIONS_VERSION) == PYRO_E_INVALID_ARGUMENT);
    CHECK(pyro_shell_options_init(&sh, 0) == PYRO_E_INVALID_ARGUMENT);

    /* Every _free accepts NULL. */
    pyro_service_info_free(NULL);
    pyro_service_list_free(NULL);
    pyro_service_logs_free(NULL);
    pyro_shell_info_free(NULL);
    pyro_shell_output_free(NULL);
    report("options: defaults and versions", failed_before);
}

static void test_argument_errors(pyro_client *client) {
    const int failed_before = failed;
    pyro_service_info *svc = (pyro_service_info *)&failed; /* must be reset to NULL */
    pyro_service_logs *logs = NULL;
    pyro_shell_info *sh = (pyro_shell_info *)&failed;
    pyro_shell_output *out = NULL;
    pyro_workspace_info *info = NULL;
    pyro_exec_result *res = NULL;
    pyro_service_options svc_opts = PYRO_SERVICE_OPTIONS_INIT;
    pyro_output_read_options rd = PYRO_OUTPUT_READ_OPTIONS_INIT;
    pyro_service_stop_options stop = PYRO_SERVICE_STOP_OPTIONS_INIT;
    pyro_shell_options sh_opts = PYRO_SHELL_OPTIONS_INIT;
    pyro_workspace_options ws = PYRO_WORKSPACE_OPTIONS_INIT;
    pyro_exec_options ex = PYRO_EXEC_OPTIONS_INIT;
    const char *bad_env[] = {"NOEQUALS", NULL};
    const char *names[] = {"tok"};
    const char *values[] = {"v"};
    const char *files[] = {"/etc/hostname"};
    pyro_error *err = NULL;

    /* NULL arguments name the parameter, and *out is reset first. */
    CHECK(fails_naming(pyro_start_service(&svc, client, kUnknown, "web", NULL, NULL, &err), &err,
                       PYRO_E_INVALID_ARGUMENT, "command"));
    CHECK(svc == NULL);
    CHECK(fails_naming(pyro_start_service(&svc, client, NULL, "web", "true", NULL, &err), &err,
                       PYRO_E_INVALID_ARGUMENT, "workspace"));
    CHECK(fails_naming(pyro_open_shell(&sh, NULL, kUnknown, NULL, &err), &err,
                       PYRO_E_INVALID_ARGUMENT, "client"));
    CHECK(sh == NULL);
    CHECK(fails_naming(pyro_write_shell(&sh, client, kUnknown, "sh-00000000", NULL, &err), &err,
                       PYRO_E_INVALID_ARGUMENT, "input"));
    CHECK_STATUS(pyro_list_services(NULL, client, kUnknown, NULL), PYRO_E_INVALID_ARGUMENT);
    CHECK_STATUS(pyro_status_service(&svc, client, kUnknown, NULL, NULL), PYRO_E_INVALID_ARGUMENT);
    CHECK_STATUS(pyro_logs_service(&logs, client, kUnknown, NULL, NULL, NULL), PYRO_E_INVALID_ARGUMENT);
    CHECK_STATUS(pyro_stop_service(&svc, client, kUnknown, NULL, NULL, NULL), PYRO_E_INVALID_ARGUMENT);
    CHECK_STATUS(pyro_read_shell(&out, client, kUnknown, NULL, NULL, NULL), PYRO_E_INVALID_ARGUMENT);
    CHECK_STATUS(pyro_resize_shell(&sh, client, NULL, "sh-00000000", 80, 24, NULL), PYRO_E_INVALID_ARGUMENT);
    CHECK_STATUS(pyro_signal_shell(NULL, client, kUnknown, "sh-00000000", "INT", NULL), PYRO_E_INVALID_ARGUMENT);
    CHECK_STATUS(pyro_close_shell(client, kUnknown, NULL, NULL), PYRO_E_INVALID_ARGUMENT);
    CHECK_STATUS(pyro_close_shell(NULL, kUnknown, "sh-00000000", NULL), PYRO_E_INVALID_ARGUMENT);

    /* Unknown struct versions name the struct. */
    svc_opts.version = 99;
    CHECK(fails_naming(pyro_start_service(&svc, client, kUnknown, "web", "true", &svc_opts, &err), &err,
                       PYRO_E_INVALID_ARGUMENT, "pyro_service_options"));
    rd.version = 99;
    CHECK(fails_naming(pyro_read_shell(&out, client, kUnknown, "sh-00000000", &rd, &err), &err,
                       PYRO_E_INVALID_ARGUMENT, "pyro_output_read_options"));
    CHECK_STATUS(pyro_logs_service(&logs, client, kUnknown, "web", &rd, NULL), PYRO_E_INVALID_ARGUMENT);
    stop.version = 99;
    CHECK_STATUS(pyro_stop_service(&svc, client, kUnknown, "web", &stop, NULL), PYRO_E_INVALID_ARGUMENT);
    sh_opts.version = 99;
    CHECK_STATUS(pyro_open_shell(&sh, client, kUnknown, &sh_opts, NULL), PYRO_E_INVALID_ARGUMENT);

    /* Malformed arrays fail in the conversion, before any workspace lookup. */
    pyro_service_options_init(&svc_opts, PYRO_SERVICE_OPTIONS_VERSION);
    svc_opts.published_port_count = 2; /* published_ports missing */
    CHECK(fails_naming(pyro_start_service(&svc, client, kUnknown, "web", "true", &svc_opts, &err), &err,
                       PYRO_E_INVALID_ARGUMENT, "published_ports"));
    pyro_service_options_init(&svc_opts, PYRO_SERVICE_OPTIONS_VERSION);
    svc_opts.secret_env = bad_env;
    CHECK(fails_naming(pyro_start_service(&svc, client, kUnknown, "web", "true", &svc_opts, &err), &err,
                       PYRO_E_INVALID_ARGUMENT, "pyro_service_options.secret_env"));
    pyro_shell_options_init(&sh_opts, PYRO_SHELL_OPTIONS_VERSION);
    sh_opts.env = bad_env;
    CHECK(fails_naming(pyro_open_shell(&sh, client, kUnknown, &sh_opts, &err), &err,
                       PYRO_E_INVALID_ARGUMENT, "pyro_shell_options.env"));
    ex.secret_env = bad_env;
    CHECK(fails_naming(pyro_exec_workspace(&res, client, kUnknown, "true", &ex, &err), &err,
                       PYRO_E_INVALID_ARGUMENT, "pyro_exec_options.secret_env"));

    /* Secrets: names required, exactly one of value and file per entry. */
    ws.secret_count = 1;
    CHECK(fails_naming(pyro_create_workspace(&info, client, kEnv, &ws, &err), &err,
                       PYRO_E_INVALID_ARGUMENT, "secret_names"));
    ws.secret_names = names; /* neither value nor file */
    CHECK(fails_naming(pyro_create_workspace(&info, client, kEnv, &ws, &err), &err,
                       PYRO_E_INVALID_ARGUMENT, "exactly one"));
    ws.secret_values = values;
    ws.secret_files = files; /* both */
    CHECK(fails_naming(pyro_create_workspace(&info, client, kEnv, &ws, &err), &err,
                       PYRO_E_INVALID_ARGUMENT, "tok"));
    ws.secret_files = NULL;
    ws.network_policy = "sideways";
    CHECK(fails_naming(pyro_create_workspace(&info, client, kEnv, &ws, &err), &err,
                       PYRO_E_INVALID_ARGUMENT, "sideways"));
    CHECK(info == NULL);
    report("argument errors and malformed options", failed_before);
}

static int test_create(pyro_client *client) {
    const int failed_before = failed;
    const char *names[] = {"token"};
    const char *values[] = {kSecret};
    char name[64];
    pyro_workspace_options opts = PYRO_WORKSPACE_OPTIONS_INIT;
    pyro_workspace_info *info = NULL;
    pyro_error *err = NULL;

    snprintf(name, sizeof name, "capi-svc-%ld", (long)getpid());
    opts.name = name;
    opts.disk_mib = 128;
    opts.network_policy = "off";
    opts.secret_count = 1;
    opts.secret_names = names;
    opts.secret_values = values;
    if (!ok(pyro_create_workspace(&info, client, kEnv, &opts, &err), &err, "create_workspace with a secret")) {
        report("create with a secret", failed_before);
        return 0;
    }
    snprintf(ws_id, sizeof ws_id, "%s", info->workspace_id);
    CHECK(strcmp(info->network_policy, "off") == 0);
    CHECK(info->secret_count == 1 && strcmp(info->secret_names[0], "token") == 0);
    pyro_workspace_info_free(info);
    report("create with a secret", failed_before);
    return 1;
}

static void test_exec_secret(pyro_client *client) {
    const int failed_before = failed;
    pyro_exec_options ex = PYRO_EXEC_OPTIONS_INIT;
    const char *secret_env[] = {"TOKEN=token", NULL};
    pyro_exec_result *res = NULL;
    pyro_error *err = NULL;

    ex.secret_env = secret_env;
    if (ok(pyro_exec_workspace(&res, client, ws_id, "echo \"token=$TOKEN\"; echo ${#TOKEN}", &ex, &err),
           &err, "exec with secret_env")) {
        size_t n = 0;
        const char *out = pyro_exec_result_stdout(res, &n);
        char len_line[32];
        snprintf(len_line, sizeof len_line, "\n%d\n", (int)strlen(kSecret));
        CHECK(strstr(out, "token=[REDACTED]") != NULL);
        CHECK(strstr(out, kSecret) == NULL);
        CHECK(strstr(out, len_line) != NULL); /* the process saw the real value */
        pyro_exec_result_free(res);
    }
    report("exec: secret_env injected and redacted", failed_before);
}

static void test_service(pyro_client *client) {
    const int failed_before = failed;
    pyro_service_options opts = PYRO_SERVICE_OPTIONS_INIT;
    pyro_output_read_options rd = PYRO_OUTPUT_READ_OPTIONS_INIT;
    pyro_service_stop_options stop = PYRO_SERVICE_STOP_OPTIONS_INIT;
    const char *secret_env[] = {"TOKEN=token", NULL};
    pyro_service_info *svc = NULL;
    pyro_service_list *list = NULL;
    pyro_service_logs *logs = NULL;
    pyro_error *err = NULL;

    opts.readiness_type = "file";
    opts.readiness_path = "/tmp/capi-svc-ready";
    opts.readiness_timeout_seconds = 20;
    opts.secret_env = secret_env;
    if (!ok(pyro_start_service(&svc, client, ws_id, "ticker",
                               "echo started $TOKEN; touch /tmp/capi-svc-ready; exec sleep 600",
                               &opts, &err), &err, "start_service")) {
        report("service: start, status, list, logs, stop", failed_before);
        return;
    }
    CHECK(strcmp(svc->name, "ticker") == 0 && strcmp(svc->state, "running") == 0);
    CHECK(svc->ready && strcmp(svc->readiness, "file") == 0 && svc->pid > 0);
    CHECK(svc->published_port_count == 0);
    pyro_service_info_free(svc);
    CHECK_STATUS(pyro_start_service(&svc, client, ws_id, "ticker", "true", NULL, NULL),
                 PYRO_E_ALREADY_EXISTS);

    if (ok(pyro_status_service(&svc, client, ws_id, "ticker", &err), &err, "status_service")) {
        CHECK(strcmp(svc->state, "running") == 0 && svc->started_at[0] != '\0');
        pyro_service_info_free(svc);
    }
    if (ok(pyro_list_services(&list, client, ws_id, &err), &err, "list_services")) {
        CHECK(list->count == 1 && strcmp(list->items[0]->name, "ticker") == 0);
        pyro_service_list_free(list);
    }
    rd.cursor = 0;
    rd.wait_seconds = 5;
    if (ok(pyro_logs_service(&logs, client, ws_id, "ticker", &rd, &err), &err, "logs_service")) {
        CHECK(strstr(logs->output, "started [REDACTED]") != NULL);
        CHECK(strstr(logs->output, kSecret) == NULL);
        CHECK(logs->output_len == strlen(logs->output));
        /* Cursors count the process's bytes; redaction may shorten the output. */
        CHECK(logs->cursor == 0 && logs->next_cursor >= (int64_t)logs->output_len && !logs->more);
        CHECK(logs->service != NULL && strcmp(logs->service->name, "ticker") == 0);
        pyro_service_logs_free(logs);
    }
    CHECK_STATUS(pyro_status_service(&svc, client, ws_id, "nosuch", NULL), PYRO_E_NOT_FOUND);

    stop.grace_seconds = 2;
    if (ok(pyro_stop_service(&svc, client, ws_id, "ticker", &stop, &err), &err, "stop_service")) {
        CHECK(strcmp(svc->state, "stopped") == 0 && svc->ended_at[0] != '\0');
        pyro_service_info_free(svc);
    }
    report("service: start, status, list, logs, stop", failed_before);
}

/* Reads the shell from *cursor until `marker` shows up (at most ~20 s);
 * appends what it read to buf and moves *cursor on. */
static int read_until(pyro_client *client, const char *shell_id, int64_t *cursor,
                      const char *marker, char *buf, size_t cap) {
    pyro_output_read_options rd = PYRO_OUTPUT_READ_OPTIONS_INIT;
    int round;
    rd.wait_seconds = 2;
    for (round = 0; round < 10 && strstr(buf, marker) == NULL; ++round) {
        pyro_shell_output *o = NULL;
        pyro_error *err = NULL;
        size_t used = strlen(buf);
        rd.cursor = *cursor;
        if (!ok(pyro_read_shell(&o, client, ws_id, shell_id, &rd, &err), &err, "read_shell")) return 0;
        if (used + o->output_len < cap) {
            memcpy(buf + used, o->output, o->output_len);
            buf[used + o->output_len] = '\0';
        }
        *cursor = o->next_cursor;
        pyro_shell_output_free(o);
    }
    if (strstr(buf, marker) == NULL) fprintf(stderr, "  no `%s` in shell output: \"%s\"\n", marker, buf);
    return strstr(buf, marker) != NULL;
}

static void test_shell(pyro_client *client) {
    const int failed_before = failed;
    pyro_shell_options opts = PYRO_SHELL_OPTIONS_INIT;
    pyro_output_read_options rd = PYRO_OUTPUT_READ_OPTIONS_INIT;
    pyro_shell_info *sh = NULL, *typed = NULL;
    pyro_shell_output *replay = NULL;
    pyro_error *err = NULL;
    char shell_id[64], buf[8192] = "";
    int64_t cursor = 0;

    opts.cols = 100;
    opts.rows = 30;
    if (!ok(pyro_open_shell(&sh, client, ws_id, &opts, &err), &err, "open_shell")) {
        report("shell: open, write, read, replay, close", failed_before);
        return;
    }
    snprintf(shell_id, sizeof shell_id, "%s", sh->shell_id);
    CHECK(strncmp(sh->shell_id, "sh-", 3) == 0 && strcmp(sh->state, "running") == 0);
    CHECK(sh->cols == 100 && sh->rows == 30);
    pyro_shell_info_free(sh);

    /* The marker is computed by the shell, so the echoed input cannot match it. */
    if (ok(pyro_write_shell(&typed, client, ws_id, shell_id, "cd /tmp; echo h\"\"i-$((40+2))\n", &err),
           &err, "write_shell")) {
        pyro_shell_info_free(typed);
    }
    CHECK(read_until(client, shell_id, &cursor, "hi-42", buf, sizeof buf));
    buf[0] = '\0';
    if (ok(pyro_write_shell(&typed, client, ws_id, shell_id, "echo cwd=$(pwd)\n", &err), &err, "write_shell"))
        pyro_shell_info_free(typed);
    CHECK(read_until(client, shell_id, &cursor, "cwd=/tmp", buf, sizeof buf)); /* cd persisted */

    rd.cursor = 0; /* replay from the start */
    if (ok(pyro_read_shell(&replay, client, ws_id, shell_id, &rd, &err), &err, "read_shell replay")) {
        CHECK(replay->cursor == 0 && strstr(replay->output, "hi-42") != NULL);
        CHECK(replay->shell != NULL && strcmp(replay->shell->shell_id, shell_id) == 0);
        pyro_shell_output_free(replay);
    }
    if (ok(pyro_resize_shell(&sh, client, ws_id, shell_id, 80, 24, &err), &err, "resize_shell")) {
        CHECK(sh->cols == 80 && sh->rows == 24);
        pyro_shell_info_free(sh);
    }
    if (ok(pyro_signal_shell(&sh, client, ws_id, shell_id, NULL, &err), &err, "signal_shell INT"))
        pyro_shell_info_free(sh);
    CHECK_STATUS(pyro_close_shell(client, ws_id, shell_id, NULL), PYRO_OK);
    CHECK_STATUS(pyro_read_shell(&replay, client, ws_id, shell_id, NULL, NULL), PYRO_E_NOT_FOUND);
    report("shell: open, write, read, replay, close", failed_before);
}

int main(void) {
    pyro_client *client = NULL;
    pyro_error *err = NULL;

    if (pyro_client_new(&client, NULL, &err) != PYRO_OK) {
        fprintf(stderr, "client_new: %s\n", pyro_error_message(err));
        pyro_error_free(err);
        return 1;
    }
    test_options();
    test_argument_errors(client);
    if (test_create(client)) {
        test_exec_secret(client);
        test_service(client);
        test_shell(client);
    }
    if (ws_id[0] != '\0') CHECK_STATUS(pyro_delete_workspace(client, ws_id, NULL), PYRO_OK);
    pyro_client_free(client);
    return summary();
}

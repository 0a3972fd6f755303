/* C API test of live output and cancel handles (include/pyro/c/output.h) on real
 * busybox VMs: the output callback sees a chunk while the command still runs (it
 * never ends by itself) and cancels it through its handle; the result says so.
 * Prints one line per check and "capi: N passed, M failed". */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pyro/c/pyro.h"
#include "test_support.h"

static const char *const kEnv = "busybox";

struct collected {
    char out[256];
    size_t out_len;
    char err[256];
    size_t err_len;
    int chunks;
    pyro_cancel *cancel_on_first; /* cancelled once stdout and stderr hold their lines */
};

static void on_output(pyro_output_stream stream, const char *data, size_t len, void *payload) {
    struct collected *c = (struct collected *)payload;
    char *buf = stream == PYRO_OUTPUT_STDERR ? c->err : c->out;
    size_t *used = stream == PYRO_OUTPUT_STDERR ? &c->err_len : &c->out_len;
    size_t room = sizeof c->out - 1 - *used;
    size_t take = len < room ? len : room;
    memcpy(buf + *used, data, take);
    *used += take;
    buf[*used] = '\0';
    ++c->chunks;
    /* Both lines are out before the command blocks: cancel once both arrived. */
    if (c->cancel_on_first && strstr(c->out, "first\n") != NULL && strstr(c->err, "e\n") != NULL) {
        pyro_cancel_cancel(c->cancel_on_first);
    }
}

static void test_stream_then_cancel(pyro_client *client) {
    const int failed_before = failed;
    struct collected c;
    pyro_cancel *cancel = NULL;
    pyro_exec_options exec = PYRO_EXEC_OPTIONS_INIT;
    pyro_exec_result *res = NULL;
    pyro_error *err = NULL;
    size_t n = 0;
    const char *out;
    memset(&c, 0, sizeof c);
    CHECK_STATUS(pyro_cancel_new(&cancel, NULL), PYRO_OK);
    CHECK(!pyro_cancel_is_cancelled(cancel));
    c.cancel_on_first = cancel;
    exec.timeout_seconds = 1200;
    exec.on_output = on_output;
    exec.output_payload = &c;
    exec.cancel = cancel;
    /* Without the cancel this would run for ten minutes. */
    CHECK_STATUS(pyro_run_in_vm(&res, client, kEnv, "echo first; echo e >&2; sleep 600; echo never", NULL, &exec,
                                &err), PYRO_OK);
    if (err) fprintf(stderr, "run_in_vm: %s\n", pyro_error_message(err));
    pyro_error_free(err);
    CHECK(res != NULL);
    if (res) {
        out = pyro_exec_result_stdout(res, &n);
        CHECK(pyro_exec_result_cancelled(res));
        CHECK(pyro_exec_result_exit_code(res) == 137);
        CHECK(!pyro_exec_result_timed_out(res));
        CHECK(n == 6 && memcmp(out, "first\n", 6) == 0);
        CHECK(c.out_len == 6 && strcmp(c.out, "first\n") == 0);
        CHECK(strcmp(c.err, "e\n") == 0);
    }
    CHECK(pyro_cancel_is_cancelled(cancel));
    pyro_exec_result_free(res);
    pyro_cancel_free(cancel);
    report("live output, then cancel from the callback", failed_before);
}

static void test_plain_and_version_1(pyro_client *client) {
    const int failed_before = failed;
    struct collected c;
    pyro_exec_options exec;
    pyro_exec_result *res = NULL;
    memset(&c, 0, sizeof c);
    /* A version 1 struct (0.2) is still accepted; it has no callback fields. */
    CHECK_STATUS(pyro_exec_options_init(&exec, 1), PYRO_OK);
    CHECK(exec.version == 1);
    CHECK_STATUS(pyro_run_in_vm(&res, client, kEnv, "echo v1", NULL, &exec, NULL), PYRO_OK);
    CHECK(res != NULL && !pyro_exec_result_cancelled(res));
    pyro_exec_result_free(res);
    res = NULL;
    CHECK_STATUS(pyro_exec_options_init(&exec, PYRO_EXEC_OPTIONS_VERSION), PYRO_OK);
    exec.on_output = on_output;
    exec.output_payload = &c;
    CHECK_STATUS(pyro_run_in_vm(&res, client, kEnv, "echo done", NULL, &exec, NULL), PYRO_OK);
    CHECK(res != NULL && !pyro_exec_result_cancelled(res) && pyro_exec_result_exit_code(res) == 0);
    CHECK(strcmp(c.out, "done\n") == 0);
    pyro_exec_result_free(res);
    CHECK_STATUS(pyro_cancel_new(NULL, NULL), PYRO_E_INVALID_ARGUMENT);
    pyro_cancel_cancel(NULL);
    CHECK(!pyro_cancel_is_cancelled(NULL));
    pyro_cancel_free(NULL);
    report("a command that ends by itself; version 1 options; NULL handles", failed_before);
}

int main(void) {
    pyro_client *client = NULL;
    pyro_error *err = NULL;
    if (pyro_client_new(&client, NULL, &err) != PYRO_OK) {
        fprintf(stderr, "client_new: %s\n", pyro_error_message(err));
        pyro_error_free(err);
        printf("capi: 0 passed, 1 failed\n");
        return 1;
    }
    test_stream_then_cancel(client);
    test_plain_and_version_1(client);
    pyro_client_free(client);
    return summary();
}

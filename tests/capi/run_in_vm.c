/* C API test: boots real VMs of environment "busybox" through include/pyro/c/pyro.h.
 * Prints one line per check and a final "capi: N passed, M failed"; exits non-zero
 * on any failure. Needs a boot set in $PYRO_HOME/environments/busybox. */
#include <stdio.h>
#include <string.h>

#include "pyro/c/pyro.h"
#include "test_support.h"

static const char *const kEnv = "busybox";

/* Runs `command` with default options; reports and clears any error. */
static pyro_exec_result *run(pyro_client *client, const char *command,
                             const pyro_exec_options *exec) {
    pyro_exec_result *res = NULL;
    pyro_error *err = NULL;
    pyro_status s = pyro_run_in_vm(&res, client, kEnv, command, NULL, exec, &err);
    if (s != PYRO_OK) {
        fprintf(stderr, "run_in_vm(%s): %s: %s\n", command, pyro_status_str(s),
                pyro_error_message(err));
        pyro_error_free(err);
    }
    return res;
}

static void test_echo_and_stderr(pyro_client *client) {
    const int failed_before = failed;
    size_t n_out = 0, n_err = 0;
    const char *out, *errs;
    pyro_exec_result *res = run(client, "echo hello; echo oops >&2", NULL);
    CHECK(res != NULL);
    if (!res) return;
    out = pyro_exec_result_stdout(res, &n_out);
    errs = pyro_exec_result_stderr(res, &n_err);
    CHECK(n_out == 6 && memcmp(out, "hello\n", 6) == 0);
    CHECK(n_err == 5 && memcmp(errs, "oops\n", 5) == 0);
    CHECK(pyro_exec_result_exit_code(res) == 0);
    CHECK(pyro_exec_result_signal(res) == 0);
    CHECK(!pyro_exec_result_timed_out(res));
    CHECK(!pyro_exec_result_stdout_truncated(res));
    CHECK(!pyro_exec_result_stderr_truncated(res));
    CHECK(pyro_exec_result_vm_id(res) != NULL && pyro_exec_result_vm_id(res)[0] != '\0');
    pyro_exec_result_free(res);
    report("echo, stderr separation", failed_before);
}

static void test_exit_code(pyro_client *client) {
    const int failed_before = failed;
    pyro_exec_result *res = run(client, "exit 3", NULL);
    CHECK(res != NULL);
    if (!res) return;
    CHECK(pyro_exec_result_exit_code(res) == 3);
    pyro_exec_result_free(res);
    report("exit code 3", failed_before);
}

static void test_binary_output(pyro_client *client) {
    const int failed_before = failed;
    static const char expected[] = {'a', '\0', 'b', '\377', '\n'};
    size_t n = 0;
    const char *out;
    pyro_exec_result *res = run(client, "printf 'a\\000b\\377\\n'", NULL);
    CHECK(res != NULL);
    if (!res) return;
    out = pyro_exec_result_stdout(res, &n);
    CHECK(n == sizeof expected && memcmp(out, expected, sizeof expected) == 0);
    pyro_exec_result_free(res);
    report("binary output with a NUL byte", failed_before);
}

static void test_env_and_cwd(pyro_client *client) {
    const int failed_before = failed;
    const char *env[] = {"PYRO_A=one", "PYRO_B=x=y", NULL};
    pyro_exec_options exec = PYRO_EXEC_OPTIONS_INIT;
    size_t n = 0;
    const char *out;
    pyro_exec_result *res;
    exec.env = env;
    exec.cwd = "/tmp";
    res = run(client, "echo \"$PYRO_A $PYRO_B $(pwd)\"", &exec);
    CHECK(res != NULL);
    if (!res) return;
    out = pyro_exec_result_stdout(res, &n);
    CHECK(n == strlen("one x=y /tmp\n") && memcmp(out, "one x=y /tmp\n", n) == 0);
    pyro_exec_result_free(res);
    report("env and cwd", failed_before);
}

static void test_not_found(pyro_client *client) {
    const int failed_before = failed;
    pyro_exec_result *res = NULL;
    pyro_error *err = NULL;
    pyro_status s = pyro_run_in_vm(&res, client, "no-such-environment", "true", NULL, NULL, &err);
    CHECK(s == PYRO_E_NOT_FOUND);
    CHECK(res == NULL);
    CHECK(err != NULL && pyro_error_code(err) == PYRO_E_NOT_FOUND);
    CHECK(strlen(pyro_error_message(err)) > 0);
    CHECK(strcmp(pyro_status_str(s), "not_found") == 0);
    pyro_error_free(err);
    report("nonexistent environment -> not_found", failed_before);
}

static void test_invalid_arguments(pyro_client *client) {
    const int failed_before = failed;
    pyro_vm_options vm = PYRO_VM_OPTIONS_INIT;
    pyro_exec_options exec;
    pyro_exec_result *res = NULL;
    pyro_vm_info *info = NULL;
    pyro_error *err = NULL;
    pyro_status s;

    vm.vcpu_count = 0;
    s = pyro_run_in_vm(&res, client, kEnv, "true", &vm, NULL, &err);
    CHECK(s == PYRO_E_INVALID_ARGUMENT && pyro_error_code(err) == PYRO_E_INVALID_ARGUMENT);
    pyro_error_free(err);

    /* NULL arguments: the message names the parameter. */
    s = pyro_run_in_vm(&res, client, NULL, "true", NULL, NULL, &err);
    CHECK(s == PYRO_E_INVALID_ARGUMENT);
    CHECK(err && strstr(pyro_error_message(err), "`environment`") != NULL);
    pyro_error_free(err);
    s = pyro_run_in_vm(NULL, client, kEnv, "true", NULL, NULL, &err);
    CHECK(s == PYRO_E_INVALID_ARGUMENT && strstr(pyro_error_message(err), "`out`") != NULL);
    pyro_error_free(err);
    s = pyro_run_in_vm(&res, NULL, kEnv, "true", NULL, NULL, NULL); /* NULL err is allowed */
    CHECK(s == PYRO_E_INVALID_ARGUMENT);
    s = pyro_status_vm(&info, client, NULL, &err);
    CHECK(s == PYRO_E_INVALID_ARGUMENT && strstr(pyro_error_message(err), "`vm_id`") != NULL);
    pyro_error_free(err);
    s = pyro_client_new(NULL, NULL, &err);
    CHECK(s == PYRO_E_INVALID_ARGUMENT);
    pyro_error_free(err);

    /* Unknown options versions: the message names the struct. */
    vm.vcpu_count = 1;
    vm.version = PYRO_VM_OPTIONS_VERSION + 1;
    s = pyro_run_in_vm(&res, client, kEnv, "true", &vm, NULL, &err);
    CHECK(s == PYRO_E_INVALID_ARGUMENT && strstr(pyro_error_message(err), "pyro_vm_options") != NULL);
    pyro_error_free(err);
    CHECK(pyro_exec_options_init(&exec, PYRO_EXEC_OPTIONS_VERSION) == PYRO_OK);
    CHECK(exec.timeout_seconds == 30.0 && exec.max_output_bytes == 1048576u);
    exec.version = 999;
    s = pyro_run_in_vm(&res, client, kEnv, "true", NULL, &exec, &err);
    CHECK(s == PYRO_E_INVALID_ARGUMENT && strstr(pyro_error_message(err), "pyro_exec_options") != NULL);
    pyro_error_free(err);
    CHECK(pyro_vm_options_init(&vm, 999) == PYRO_E_INVALID_ARGUMENT);
    {
        pyro_client_options copts = PYRO_CLIENT_OPTIONS_INIT;
        pyro_client *c2 = NULL;
        copts.version = 0;
        s = pyro_client_new(&c2, &copts, &err);
        CHECK(s == PYRO_E_INVALID_ARGUMENT && c2 == NULL);
        CHECK(strstr(pyro_error_message(err), "pyro_client_options") != NULL);
        pyro_error_free(err);
    }
    /* A malformed env entry. */
    {
        const char *bad_env[] = {"NOEQUALS", NULL};
        pyro_exec_options_init(&exec, PYRO_EXEC_OPTIONS_VERSION);
        exec.env = bad_env;
        s = pyro_run_in_vm(&res, client, kEnv, "true", NULL, &exec, &err);
        CHECK(s == PYRO_E_INVALID_ARGUMENT && res == NULL);
        pyro_error_free(err);
    }
    /* NULL-safe destructors and accessors. */
    pyro_exec_result_free(NULL);
    pyro_vm_info_free(NULL);
    pyro_vm_list_free(NULL);
    pyro_error_free(NULL);
    pyro_client_free(NULL);
    CHECK(pyro_vm_list_count(NULL) == 0);
    CHECK(strcmp(pyro_error_message(NULL), "") == 0);
    report("invalid arguments, NULL arguments, options versions", failed_before);
}

static void test_lifecycle(pyro_client *client) {
    const int failed_before = failed;
    pyro_vm_info *created = NULL, *started = NULL, *status = NULL;
    pyro_vm_list *list = NULL;
    pyro_exec_result *res = NULL;
    pyro_error *err = NULL;
    char vm_id[128];
    size_t i, n = 0;
    int listed = 0;
    const char *out;
    pyro_status s = pyro_create_vm(&created, client, kEnv, NULL, &err);
    CHECK(s == PYRO_OK);
    if (s != PYRO_OK) {
        fprintf(stderr, "create_vm: %s\n", pyro_error_message(err));
        pyro_error_free(err);
        return;
    }
    snprintf(vm_id, sizeof vm_id, "%s", pyro_vm_info_vm_id(created));
    CHECK(pyro_vm_info_state(created) == PYRO_VM_CREATED);
    CHECK(strcmp(pyro_vm_info_environment(created), kEnv) == 0);
    CHECK(pyro_vm_info_vcpu_count(created) == 1 && pyro_vm_info_mem_mib(created) == 256);
    pyro_vm_info_free(created);

    s = pyro_start_vm(&started, client, vm_id, &err);
    CHECK(s == PYRO_OK);
    if (s != PYRO_OK) fprintf(stderr, "start_vm: %s\n", pyro_error_message(err));
    pyro_error_free(err);
    CHECK(pyro_vm_info_state(started) == PYRO_VM_RUNNING);
    CHECK(strcmp(pyro_vm_state_str(pyro_vm_info_state(started)), "running") == 0);
    pyro_vm_info_free(started);

    CHECK(pyro_status_vm(&status, client, vm_id, NULL) == PYRO_OK);
    CHECK(pyro_vm_info_state(status) == PYRO_VM_RUNNING);
    pyro_vm_info_free(status);

    CHECK(pyro_list_vms(&list, client, NULL) == PYRO_OK);
    for (i = 0; i < pyro_vm_list_count(list); ++i) {
        if (strcmp(pyro_vm_info_vm_id(pyro_vm_list_get(list, i)), vm_id) == 0) listed = 1;
    }
    CHECK(listed);
    CHECK(pyro_vm_list_get(list, pyro_vm_list_count(list)) == NULL);
    pyro_vm_list_free(list);

    s = pyro_exec_vm(&res, client, vm_id, "echo lifecycle", NULL, &err);
    CHECK(s == PYRO_OK);
    if (s != PYRO_OK) fprintf(stderr, "exec_vm: %s\n", pyro_error_message(err));
    pyro_error_free(err);
    out = pyro_exec_result_stdout(res, &n);
    CHECK(res && n == 10 && memcmp(out, "lifecycle\n", 10) == 0);
    pyro_exec_result_free(res);

    /* exec_vm deleted the VM. */
    status = NULL;
    s = pyro_status_vm(&status, client, vm_id, &err);
    CHECK(s == PYRO_E_NOT_FOUND && status == NULL);
    pyro_error_free(err);
    CHECK(pyro_delete_vm(client, vm_id, NULL) == PYRO_E_NOT_FOUND);
    report("lifecycle create/start/status/list/exec, then not_found", failed_before);
}

static void test_catalog_and_version(pyro_client *client) {
    const int failed_before = failed;
    pyro_environment_list *envs = NULL;
    size_t i;
    int found = 0;
    CHECK(pyro_list_environments(&envs, client, NULL) == PYRO_OK);
    for (i = 0; i < pyro_environment_list_count(envs); ++i) {
        const pyro_environment_info *e = pyro_environment_list_get(envs, i);
        if (strcmp(pyro_environment_info_name(e), kEnv) == 0) found = pyro_environment_info_installed(e);
    }
    CHECK(found);
    pyro_environment_list_free(envs);
    CHECK(pyro_version_number() == PYRO_VERSION_NUMBER);
    CHECK(strcmp(pyro_version(), PYRO_VERSION_STRING) == 0);
    report("list_environments, version", failed_before);
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
    test_invalid_arguments(client);
    test_not_found(client);
    test_catalog_and_version(client);
    test_echo_and_stderr(client);
    test_exit_code(client);
    test_binary_output(client);
    test_env_and_cwd(client);
    test_lifecycle(client);
    pyro_client_free(client);
    return summary();
}

/* C API test of the environment operations: inspect, pull, prune, import, and
 * the versioned options structs, through include/pyro/c/pyro.h only.
 * Prints one line per test and a final "capi: N passed, M failed"; exits
 * non-zero on any failure. Needs the busybox boot set in $PYRO_HOME; the forced
 * pull rebuilds it (about 10 s). */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pyro/c/pyro.h"
#include "test_support.h"

/* Prints and frees an unexpected error. */
static void print_error(const char *what, pyro_status s, pyro_error *err) {
    fprintf(stderr, "%s: %s: %s\n", what, pyro_status_str(s), pyro_error_message(err));
    pyro_error_free(err);
}

/* Checks that `s`/`err` carry `code` and a message mentioning `needle`; frees err. */
static void check_error(pyro_status s, pyro_error *err, pyro_status code, const char *needle) {
    CHECK(s == code);
    CHECK(err != NULL && pyro_error_code(err) == code);
    if (needle) CHECK(err != NULL && strstr(pyro_error_message(err), needle) != NULL);
    pyro_error_free(err);
}

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void test_inspect_busybox(pyro_client *client) {
    const int failed_before = failed;
    pyro_environment_info *info = NULL;
    pyro_error *err = NULL;
    pyro_status s = pyro_inspect_environment(&info, client, "busybox", &err);
    CHECK(s == PYRO_OK && err == NULL);
    if (s != PYRO_OK) {
        print_error("inspect busybox", s, err);
        return;
    }
    CHECK(strcmp(pyro_environment_info_name(info), "busybox") == 0);
    CHECK(pyro_environment_info_installed(info));
    CHECK(!pyro_environment_info_has_rootfs(info));
    CHECK(strlen(pyro_environment_info_sha256(info)) == 64);
    CHECK(strcmp(pyro_environment_info_source(info), "catalog") == 0);
    CHECK(pyro_environment_info_version(info) != NULL);
    CHECK(pyro_environment_info_path(info)[0] == '/');
    CHECK(pyro_environment_info_size_bytes(info) > 0);
    CHECK(pyro_environment_info_built_at(info)[0] != '\0');
    CHECK(pyro_environment_info_description(info)[0] != '\0');
    CHECK(pyro_environment_info_package_count(info) == 0);  /* busybox has no Debian packages */
    CHECK(pyro_environment_info_package(info, 0) == NULL);
    pyro_environment_info_free(info);
    report("inspect busybox", failed_before);
}

static void test_inspect_catalog_packages(pyro_client *client) {
    const int failed_before = failed;
    pyro_environment_info *info = NULL;
    pyro_status s = pyro_inspect_environment(&info, client, "debian:12", NULL);
    CHECK(s == PYRO_OK);
    if (s != PYRO_OK) return;
    CHECK(pyro_environment_info_has_rootfs(info));
    CHECK(pyro_environment_info_package_count(info) > 0);
    {
        size_t i, n = pyro_environment_info_package_count(info);
        int has_git = 0;
        for (i = 0; i < n; ++i) has_git |= strcmp(pyro_environment_info_package(info, i), "git") == 0;
        CHECK(has_git);
        CHECK(pyro_environment_info_package(info, n) == NULL);
    }
    pyro_environment_info_free(info);
    report("inspect debian:12 lists its packages", failed_before);
}

static void test_inspect_unknown(pyro_client *client) {
    const int failed_before = failed;
    pyro_environment_info *info = (pyro_environment_info *)&info; /* must be reset to NULL */
    pyro_error *err = NULL;
    pyro_status s = pyro_inspect_environment(&info, client, "no-such-env", &err);
    CHECK(info == NULL);
    check_error(s, err, PYRO_E_NOT_FOUND, "no-such-env");
    report("inspect unknown -> not_found", failed_before);
}

static void test_null_arguments(pyro_client *client) {
    const int failed_before = failed;
    pyro_environment_info *info = NULL;
    pyro_prune_result *pr = NULL;
    pyro_error *err = NULL;
    pyro_status s;

    s = pyro_pull_environment(NULL, client, "busybox", NULL, &err);
    check_error(s, err, PYRO_E_INVALID_ARGUMENT, "`out`");
    s = pyro_pull_environment(&info, NULL, "busybox", NULL, &err);
    check_error(s, err, PYRO_E_INVALID_ARGUMENT, "`client`");
    CHECK(info == NULL);
    s = pyro_pull_environment(&info, client, NULL, NULL, &err);
    check_error(s, err, PYRO_E_INVALID_ARGUMENT, "`name`");
    s = pyro_inspect_environment(&info, client, NULL, &err);
    check_error(s, err, PYRO_E_INVALID_ARGUMENT, "`name`");
    s = pyro_inspect_environment(NULL, client, "busybox", &err);
    check_error(s, err, PYRO_E_INVALID_ARGUMENT, "`out`");
    s = pyro_prune_environments(NULL, client, NULL, &err);
    check_error(s, err, PYRO_E_INVALID_ARGUMENT, "`out`");
    s = pyro_prune_environments(&pr, NULL, NULL, &err);
    check_error(s, err, PYRO_E_INVALID_ARGUMENT, "`client`");
    s = pyro_import_environment(&info, client, "img", NULL, NULL, &err);
    check_error(s, err, PYRO_E_INVALID_ARGUMENT, "`source`");
    s = pyro_import_environment(&info, client, NULL, "/tmp", NULL, &err);
    check_error(s, err, PYRO_E_INVALID_ARGUMENT, "`name`");
    /* A NULL error pointer is allowed: the status alone tells. */
    CHECK(pyro_inspect_environment(&info, client, NULL, NULL) == PYRO_E_INVALID_ARGUMENT);

    /* Accessors and _free functions accept NULL. */
    CHECK(pyro_environment_info_source(NULL) == NULL);
    CHECK(pyro_environment_info_package_count(NULL) == 0);
    CHECK(pyro_environment_info_package(NULL, 0) == NULL);
    CHECK(pyro_environment_info_size_bytes(NULL) == 0);
    CHECK(pyro_environment_info_has_rootfs(NULL) == 0);
    CHECK(pyro_environment_info_snapshot_ready(NULL) == 0);
    CHECK(pyro_prune_result_count(NULL) == 0);
    CHECK(pyro_prune_result_path(NULL, 0) == NULL);
    CHECK(pyro_prune_result_bytes_freed(NULL) == 0);
    pyro_environment_info_free(NULL);
    pyro_prune_result_free(NULL);
    report("NULL arguments -> invalid_argument naming the parameter", failed_before);
}

static void test_options_versions(pyro_client *client) {
    const int failed_before = failed;
    pyro_environment_info *info = NULL;
    pyro_prune_result *pr = NULL;
    pyro_error *err = NULL;
    pyro_pull_options pull = PYRO_PULL_OPTIONS_INIT;
    pyro_import_options imp = PYRO_IMPORT_OPTIONS_INIT;
    pyro_prune_options prune = PYRO_PRUNE_OPTIONS_INIT;
    pyro_client_options copts = PYRO_CLIENT_OPTIONS_INIT;
    pyro_client *c2 = NULL;
    pyro_status s;

    pull.version = 99;
    s = pyro_pull_environment(&info, client, "busybox", &pull, &err);
    check_error(s, err, PYRO_E_INVALID_ARGUMENT, "pyro_pull_options");
    imp.version = 99;
    s = pyro_import_environment(&info, client, "img", "/tmp", &imp, &err);
    check_error(s, err, PYRO_E_INVALID_ARGUMENT, "pyro_import_options");
    prune.version = 99;
    s = pyro_prune_environments(&pr, client, &prune, &err);
    check_error(s, err, PYRO_E_INVALID_ARGUMENT, "pyro_prune_options");
    CHECK(info == NULL && pr == NULL);
    copts.version = 99;
    s = pyro_client_new(&c2, &copts, &err);
    check_error(s, err, PYRO_E_INVALID_ARGUMENT, "pyro_client_options");
    CHECK(c2 == NULL);

    CHECK(pyro_pull_options_init(&pull, 99) == PYRO_E_INVALID_ARGUMENT);
    CHECK(pyro_pull_options_init(NULL, PYRO_PULL_OPTIONS_VERSION) == PYRO_E_INVALID_ARGUMENT);
    CHECK(pyro_pull_options_init(&pull, PYRO_PULL_OPTIONS_VERSION) == PYRO_OK);
    CHECK(pull.version == PYRO_PULL_OPTIONS_VERSION && pull.force == 0 && pull.progress == NULL);
    CHECK(pyro_import_options_init(&imp, PYRO_IMPORT_OPTIONS_VERSION) == PYRO_OK);
    CHECK(imp.force == 0 && imp.progress == NULL);
    CHECK(pyro_prune_options_init(&prune, PYRO_PRUNE_OPTIONS_VERSION) == PYRO_OK);
    CHECK(prune.all == 0 && prune.dry_run == 0);
    CHECK(pyro_client_options_init(&copts, 99) == PYRO_E_INVALID_ARGUMENT);
    report("unknown options versions -> invalid_argument naming the struct", failed_before);
}

/* A caller compiled against the 0.1 header passes a version 1 struct, which
 * ends at boot_timeout_seconds: it must still be accepted, and init(…, 1) must
 * not write past that end. */
static void test_client_options_version1(void) {
    const int failed_before = failed;
    pyro_client_options o;
    pyro_client *c = NULL;
    pyro_error *err = NULL;
    pyro_status s;

    memset(&o, 0, sizeof o);
    o.guest_dir = (const char *)&o; /* sentinels: an old struct has no such fields */
    o.auto_pull = 12345;
    CHECK(pyro_client_options_init(&o, 1) == PYRO_OK);
    CHECK(o.version == 1 && o.boot_timeout_seconds == 30.0 && o.home == NULL);
    CHECK(o.guest_dir == (const char *)&o && o.auto_pull == 12345);
    s = pyro_client_new(&c, &o, &err); /* the garbage beyond version 1 is not read */
    CHECK(s == PYRO_OK && c != NULL);
    if (s != PYRO_OK) print_error("client_new v1", s, err);
    pyro_client_free(c);
    c = NULL;

    CHECK(pyro_client_options_init(&o, PYRO_CLIENT_OPTIONS_VERSION) == PYRO_OK);
    CHECK(o.version == 2 && o.guest_dir == NULL && o.auto_pull == 0 && o.snapshots == NULL);
    o.auto_pull = 1;
    o.snapshots = "0";
    s = pyro_client_new(&c, &o, &err);
    CHECK(s == PYRO_OK && c != NULL);
    if (s != PYRO_OK) print_error("client_new v2", s, err);
    pyro_client_free(c);
    report("client options version 1 and 2 accepted", failed_before);
}

static void test_prune_dry_run(pyro_client *client) {
    const int failed_before = failed;
    char stale[4096], file[4200];
    FILE *f;
    pyro_prune_options opts = PYRO_PRUNE_OPTIONS_INIT;
    pyro_prune_result *res = NULL;
    pyro_error *err = NULL;
    pyro_status s;
    size_t i;
    int listed = 0;

    /* A leftover of an interrupted build, as build-bootset.sh names its temp dirs. */
    snprintf(stale, sizeof stale, "%s/environments/.busybox.tmp.capitest", pyro_client_home(client));
    snprintf(file, sizeof file, "%s/junk", stale);
    CHECK(mkdir(stale, 0755) == 0 || is_dir(stale));
    f = fopen(file, "w");
    CHECK(f != NULL);
    if (f) {
        for (i = 0; i < 4096; ++i) fputc('x', f);
        fclose(f);
    }

    opts.dry_run = 1;
    s = pyro_prune_environments(&res, client, &opts, &err);
    CHECK(s == PYRO_OK);
    if (s != PYRO_OK) {
        print_error("prune dry run", s, err);
        return;
    }
    for (i = 0; i < pyro_prune_result_count(res); ++i) {
        listed |= strcmp(pyro_prune_result_path(res, i), stale) == 0;
    }
    CHECK(listed);
    CHECK(pyro_prune_result_bytes_freed(res) >= 4096);
    CHECK(pyro_prune_result_path(res, pyro_prune_result_count(res)) == NULL);
    CHECK(is_dir(stale)); /* a dry run removes nothing */
    pyro_prune_result_free(res);
    res = NULL;

    /* Without dry_run the leftover goes; installed environments stay. */
    s = pyro_prune_environments(&res, client, NULL, &err);
    CHECK(s == PYRO_OK);
    if (s != PYRO_OK) print_error("prune", s, err);
    CHECK(!is_dir(stale));
    pyro_prune_result_free(res);
    {
        pyro_environment_info *info = NULL;
        CHECK(pyro_inspect_environment(&info, client, "busybox", NULL) == PYRO_OK);
        CHECK(pyro_environment_info_installed(info));
        pyro_environment_info_free(info);
    }
    report("prune: dry run reports without deleting, then deletes", failed_before);
}

static void test_pull_noop(pyro_client *client) {
    const int failed_before = failed;
    pyro_environment_info *before = NULL, *after = NULL;
    pyro_error *err = NULL;
    pyro_status s;
    CHECK(pyro_inspect_environment(&before, client, "busybox", NULL) == PYRO_OK);
    s = pyro_pull_environment(&after, client, "busybox", NULL, &err);
    CHECK(s == PYRO_OK);
    if (s != PYRO_OK) {
        print_error("pull busybox", s, err);
    } else {
        CHECK(pyro_environment_info_installed(after));
        CHECK(strcmp(pyro_environment_info_name(after), "busybox") == 0);
        CHECK(strcmp(pyro_environment_info_sha256(after), pyro_environment_info_sha256(before)) == 0);
        CHECK(strcmp(pyro_environment_info_built_at(after), pyro_environment_info_built_at(before)) == 0);
    }
    pyro_environment_info_free(before);
    pyro_environment_info_free(after);
    report("pull busybox when current is a no-op", failed_before);
}

struct progress_count {
    int calls;
    int empty_or_null;     /* a NULL stage, message or unit, or an empty stage */
    int too_small;         /* size below the fields of pyro_progress */
    int build_stage;       /* events of stage "build boot set" */
    int wrong_payload;
    int done_went_down;
    char last_stage[64];
    uint64_t last_done;
};

static void count_progress(const pyro_progress *p, void *payload) {
    struct progress_count *c = (struct progress_count *)payload;
    ++c->calls;
    if (p->size < sizeof(pyro_progress)) {
        ++c->too_small;
        return;
    }
    if (p->stage == NULL || p->message == NULL || p->unit == NULL || p->stage[0] == '\0') {
        ++c->empty_or_null;
        return;
    }
    if (strcmp(p->stage, "build boot set") == 0) ++c->build_stage;
    if (strcmp(p->stage, c->last_stage) == 0 && p->done < c->last_done) ++c->done_went_down;
    snprintf(c->last_stage, sizeof c->last_stage, "%s", p->stage);
    c->last_done = p->done;
}

static void test_pull_force_progress(pyro_client *client) {
    const int failed_before = failed;
    struct progress_count count;
    pyro_pull_options opts = PYRO_PULL_OPTIONS_INIT;
    pyro_environment_info *info = NULL;
    pyro_error *err = NULL;
    pyro_status s;
    memset(&count, 0, sizeof count);
    opts.force = 1;
    opts.progress = count_progress;
    opts.progress_payload = &count;
    s = pyro_pull_environment(&info, client, "busybox", &opts, &err);
    CHECK(s == PYRO_OK);
    if (s != PYRO_OK) {
        print_error("pull --force busybox", s, err);
        return;
    }
    CHECK(count.calls >= 2);
    CHECK(count.empty_or_null == 0);
    CHECK(count.too_small == 0);
    CHECK(count.build_stage >= 1); /* a forced build passes the builder's "stage:" line */
    CHECK(count.done_went_down == 0);
    CHECK(pyro_environment_info_installed(info));
    CHECK(strlen(pyro_environment_info_sha256(info)) == 64);
    pyro_environment_info_free(info);
    report("pull busybox with force calls the progress callback with stages and user data", failed_before);
}

/* A caller built against version 1 of pyro_pull_options stored a line callback. */
struct line_count {
    int calls;
    int empty_or_null;
};

static void count_lines(const char *message, void *payload) {
    struct line_count *c = (struct line_count *)payload;
    ++c->calls;
    if (message == NULL || message[0] == '\0') ++c->empty_or_null;
}

static void test_pull_version1_line_callback(pyro_client *client) {
    const int failed_before = failed;
    struct line_count count = {0, 0};
    pyro_pull_options opts;
    pyro_environment_info *info = NULL;
    pyro_error *err = NULL;
    pyro_status s;
    CHECK(pyro_pull_options_init(&opts, 1) == PYRO_OK);
    CHECK(opts.version == 1);
    /* What a version 1 binary did: its field held a pyro_progress_line_cb. */
    opts.progress = (pyro_progress_cb)(void (*)(void))count_lines;
    opts.progress_payload = &count;
    s = pyro_pull_environment(&info, client, "busybox", &opts, &err);
    CHECK(s == PYRO_OK);
    if (s != PYRO_OK) {
        print_error("pull busybox (version 1 options)", s, err);
        return;
    }
    CHECK(count.calls >= 1); /* "... is up to date; nothing to do" at least */
    CHECK(count.empty_or_null == 0);
    pyro_environment_info_free(info);
    report("pull with version 1 options calls the line callback with lines", failed_before);
}

static void test_call_json_ex_progress(pyro_client *client) {
    const int failed_before = failed;
    struct progress_count count;
    pyro_call_options opts = PYRO_CALL_OPTIONS_INIT;
    pyro_call_options bad = PYRO_CALL_OPTIONS_INIT;
    char *out = NULL;
    pyro_error *err = NULL;
    pyro_status s;
    memset(&count, 0, sizeof count);
    bad.version = 99;
    s = pyro_call_json_ex(&out, client, "pull_environment", "{\"name\": \"busybox\"}", &bad, &err);
    check_error(s, err, PYRO_E_INVALID_ARGUMENT, "pyro_call_options");
    opts.progress = count_progress;
    opts.progress_payload = &count;
    s = pyro_call_json_ex(&out, client, "pull_environment", "{\"name\": \"busybox\"}", &opts, &err);
    CHECK(s == PYRO_OK);
    if (s != PYRO_OK) {
        print_error("pyro_call_json_ex pull_environment", s, err);
        return;
    }
    CHECK(strstr(out, "\"installed\":true") != NULL || strstr(out, "\"installed\": true") != NULL);
    CHECK(count.calls >= 1 && count.empty_or_null == 0 && count.too_small == 0);
    CHECK(strcmp(count.last_stage, "download kernel") == 0);
    pyro_string_free(out);
    report("pyro_call_json_ex passes progress with user data; an unknown options version is refused", failed_before);
}

static void test_workspace_options_version1_init(void) {
    const int failed_before = failed;
    int sentinel = 0;
    pyro_workspace_options w;
    memset(&w, 0, sizeof w);
    w.progress_payload = &sentinel;
    /* A version 1 struct ends before the progress fields: init must not write them. */
    CHECK(pyro_workspace_options_init(&w, 1) == PYRO_OK);
    CHECK(w.version == 1 && w.mem_mib == 256 && w.progress_payload == &sentinel);
    CHECK(pyro_workspace_options_init(&w, PYRO_WORKSPACE_OPTIONS_VERSION) == PYRO_OK);
    CHECK(w.version == 2 && w.progress == NULL && w.progress_payload == NULL);
    CHECK(pyro_workspace_options_init(&w, 3) == PYRO_E_INVALID_ARGUMENT);
    report("workspace options: version 1 init leaves the progress fields alone", failed_before);
}

static void test_import_errors(pyro_client *client) {
    const int failed_before = failed;
    pyro_environment_info *info = NULL;
    pyro_error *err = NULL;
    pyro_status s = pyro_import_environment(&info, client, "capi-img", "/nonexistent/image.tar",
                                            NULL, &err);
    CHECK(info == NULL);
    check_error(s, err, PYRO_E_NOT_FOUND, NULL);
    s = pyro_import_environment(&info, client, "busybox", "/nonexistent/image.tar", NULL, &err);
    check_error(s, err, PYRO_E_ALREADY_EXISTS, NULL); /* catalog names are reserved */
    report("import: missing source, reserved name", failed_before);
}

int main(void) {
    pyro_client *client = NULL;
    pyro_error *err = NULL;
    if (pyro_client_new(&client, NULL, &err) != PYRO_OK) {
        fprintf(stderr, "client_new: %s\n", pyro_error_message(err));
        pyro_error_free(err);
        return 1;
    }
    test_inspect_busybox(client);
    test_inspect_catalog_packages(client);
    test_inspect_unknown(client);
    test_null_arguments(client);
    test_options_versions(client);
    test_client_options_version1();
    test_prune_dry_run(client);
    test_pull_noop(client);
    test_pull_version1_line_callback(client);
    test_pull_force_progress(client);
    test_call_json_ex_progress(client);
    test_workspace_options_version1_init();
    test_inspect_busybox(client); /* still intact after the rebuild */
    test_import_errors(client);
    pyro_client_free(client);
    return summary();
}

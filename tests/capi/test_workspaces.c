/* C API test: one real workspace of environment "busybox" driven through
 * include/pyro/c/pyro.h — seed, exec, files, patch, diff, snapshot, reset,
 * export, stop, offline disk, start, update, delete — plus argument and
 * not-found errors. Prints one line per step and a final
 * "capi: N passed, M failed"; exits non-zero on any failure. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pyro/c/pyro.h"
#include "test_support.h"

static const char *const kEnv = "busybox";
static const char *const kUnknown = "ws-000000000000";
static char ws_id[64];       /* the workspace under test, "" once deleted */
static char tmp_dir[256];    /* host scratch directory */

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

static int write_host_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) return 0;
    fputs(text, f);
    return fclose(f) == 0;
}

static int has_file(const pyro_workspace_file_list *list, const char *path) {
    size_t i;
    for (i = 0; i < list->count; ++i)
        if (strcmp(list->items[i]->path, path) == 0) return 1;
    return 0;
}

static pyro_exec_result *exec(pyro_client *client, const char *command) {
    pyro_exec_result *res = NULL;
    pyro_error *err = NULL;
    if (!ok(pyro_exec_workspace(&res, client, ws_id, command, NULL, &err), &err, command)) return NULL;
    return res;
}

/* stdout of `command` equals `expected`. */
static int exec_prints(pyro_client *client, const char *command, const char *expected) {
    size_t n = 0;
    const char *out;
    int same;
    pyro_exec_result *res = exec(client, command);
    if (!res) return 0;
    out = pyro_exec_result_stdout(res, &n);
    same = n == strlen(expected) && memcmp(out, expected, n) == 0 &&
           pyro_exec_result_exit_code(res) == 0;
    if (!same) fprintf(stderr, "  `%s` printed \"%s\"\n", command, out);
    pyro_exec_result_free(res);
    return same;
}

/* read_workspace_file content equals `expected`. */
static int reads(pyro_client *client, const char *path, const char *expected) {
    pyro_workspace_file_content *c = NULL;
    pyro_error *err = NULL;
    int same;
    if (!ok(pyro_read_workspace_file(&c, client, ws_id, path, 0, &err), &err, path)) return 0;
    same = c->content_len == strlen(expected) && strcmp(c->content, expected) == 0;
    pyro_workspace_file_content_free(c);
    return same;
}

static void test_argument_errors(pyro_client *client) {
    const int failed_before = failed;
    pyro_workspace_info *info = (pyro_workspace_info *)&failed; /* must be reset to NULL */
    pyro_workspace_options opts;
    pyro_workspace_update update = PYRO_WORKSPACE_UPDATE_INIT;
    pyro_patch_options patch = PYRO_PATCH_OPTIONS_INIT;
    pyro_push_options push = PYRO_PUSH_OPTIONS_INIT;
    pyro_exec_result *res = NULL;
    pyro_patch_result *pr = NULL;
    pyro_workspace_file_entry *entry = NULL;
    pyro_workspace_diff *diff = NULL;
    pyro_error *err = NULL;
    const char *keys[] = {"a"};

    CHECK(pyro_workspace_options_init(&opts, PYRO_WORKSPACE_OPTIONS_VERSION) == PYRO_OK);
    CHECK(opts.vcpu_count == 1 && opts.mem_mib == 256 && opts.disk_mib == 2048 && opts.network_policy == NULL);
    CHECK(pyro_workspace_options_init(NULL, PYRO_WORKSPACE_OPTIONS_VERSION) == PYRO_E_INVALID_ARGUMENT);
    CHECK(pyro_workspace_options_init(&opts, 99) == PYRO_E_INVALID_ARGUMENT);
    CHECK(pyro_workspace_update_init(&update, 99) == PYRO_E_INVALID_ARGUMENT);
    CHECK(pyro_patch_options_init(&patch, PYRO_PATCH_OPTIONS_VERSION) == PYRO_OK && !patch.dry_run);
    CHECK(pyro_push_options_init(&push, PYRO_PUSH_OPTIONS_VERSION) == PYRO_OK && push.dest == NULL);

    CHECK(pyro_create_workspace(&info, client, NULL, NULL, &err) == PYRO_E_INVALID_ARGUMENT);
    CHECK(info == NULL);
    CHECK(pyro_error_code(err) == PYRO_E_INVALID_ARGUMENT && strstr(pyro_error_message(err), "environment"));
    pyro_error_free(err);
    CHECK_STATUS(pyro_create_workspace(NULL, client, kEnv, NULL, NULL), PYRO_E_INVALID_ARGUMENT);
    CHECK_STATUS(pyro_create_workspace(&info, NULL, kEnv, NULL, NULL), PYRO_E_INVALID_ARGUMENT);
    CHECK_STATUS(pyro_status_workspace(&info, client, NULL, NULL), PYRO_E_INVALID_ARGUMENT);
    CHECK_STATUS(pyro_delete_workspace(client, NULL, NULL), PYRO_E_INVALID_ARGUMENT);
    CHECK_STATUS(pyro_exec_workspace(&res, client, kUnknown, NULL, NULL, NULL), PYRO_E_INVALID_ARGUMENT);
    CHECK_STATUS(pyro_write_workspace_file(&entry, client, kUnknown, "a", NULL, NULL), PYRO_E_INVALID_ARGUMENT);
    CHECK_STATUS(pyro_apply_workspace_patch(&pr, client, kUnknown, NULL, NULL, NULL), PYRO_E_INVALID_ARGUMENT);
    CHECK_STATUS(pyro_diff_workspace(NULL, client, kUnknown, NULL), PYRO_E_INVALID_ARGUMENT);
    CHECK_STATUS(pyro_create_snapshot(NULL, client, kUnknown, "s", NULL), PYRO_E_INVALID_ARGUMENT);
    CHECK_STATUS(pyro_delete_snapshot(client, kUnknown, NULL, NULL), PYRO_E_INVALID_ARGUMENT);
    CHECK_STATUS(pyro_export_workspace_disk(NULL, client, kUnknown, "/tmp/x", NULL), PYRO_E_INVALID_ARGUMENT);

    /* Unknown struct versions and malformed labels fail before any VM work. */
    opts.version = 99;
    CHECK_STATUS(pyro_create_workspace(&info, client, kEnv, &opts, NULL), PYRO_E_INVALID_ARGUMENT);
    pyro_workspace_options_init(&opts, PYRO_WORKSPACE_OPTIONS_VERSION);
    opts.label_count = 1;
    opts.label_keys = keys; /* label_values missing */
    CHECK_STATUS(pyro_create_workspace(&info, client, kEnv, &opts, NULL), PYRO_E_INVALID_ARGUMENT);
    update.version = 99;
    CHECK_STATUS(pyro_update_workspace(&info, client, kUnknown, &update, NULL), PYRO_E_INVALID_ARGUMENT);
    patch.version = 99;
    CHECK_STATUS(pyro_apply_workspace_patch(&pr, client, kUnknown, "", &patch, NULL), PYRO_E_INVALID_ARGUMENT);

    /* A workspace that does not exist. */
    CHECK_STATUS(pyro_status_workspace(&info, client, kUnknown, NULL), PYRO_E_NOT_FOUND);
    CHECK(info == NULL);
    CHECK_STATUS(pyro_exec_workspace(&res, client, kUnknown, "true", NULL, NULL), PYRO_E_NOT_FOUND);
    CHECK_STATUS(pyro_delete_workspace(client, kUnknown, NULL), PYRO_E_NOT_FOUND);
    CHECK_STATUS(pyro_diff_workspace(&diff, client, kUnknown, NULL), PYRO_E_NOT_FOUND);
    CHECK_STATUS(pyro_stop_workspace(&info, client, kUnknown, NULL), PYRO_E_NOT_FOUND);

    /* Every _free accepts NULL. */
    pyro_workspace_info_free(NULL);
    pyro_workspace_list_free(NULL);
    pyro_workspace_file_list_free(NULL);
    pyro_patch_result_free(NULL);
    pyro_workspace_diff_free(NULL);
    pyro_export_result_free(NULL);
    CHECK(strcmp(pyro_workspace_state_str(PYRO_WORKSPACE_RUNNING), "running") == 0);
    CHECK(strcmp(pyro_workspace_state_str((pyro_workspace_state)7), "unknown") == 0);
    report("argument errors, unknown workspace, options", failed_before);
}

/* What the progress callback saw of stage "copy seed", through its user data. */
struct seed_progress {
    int events;
    int copy_events;
    uint64_t last_done;
    uint64_t total;
    int bad;  /* NULL strings, a short struct, a wrong unit, done going down */
    char last_stage[64];
};

static void on_seed_progress(const pyro_progress *p, void *payload) {
    struct seed_progress *s = (struct seed_progress *)payload;
    ++s->events;
    if (p->size < sizeof(pyro_progress) || !p->stage || !p->message || !p->unit) {
        ++s->bad;
        return;
    }
    snprintf(s->last_stage, sizeof s->last_stage, "%s", p->stage);
    if (strcmp(p->stage, "copy seed") != 0) return;
    ++s->copy_events;
    if (strcmp(p->unit, "bytes") != 0 || p->done < s->last_done) ++s->bad;
    s->last_done = p->done;
    s->total = p->total;
}

static int test_create(pyro_client *client) {
    const int failed_before = failed;
    char seed[300], path[320], name[64];
    const char *keys[] = {"owner"};
    const char *values[] = {"capi"};
    pyro_workspace_options opts = PYRO_WORKSPACE_OPTIONS_INIT;
    pyro_workspace_info *info = NULL;
    pyro_error *err = NULL;
    struct seed_progress progress;

    memset(&progress, 0, sizeof progress);
    snprintf(seed, sizeof seed, "%s/seed", tmp_dir);
    snprintf(path, sizeof path, "%s/hello.txt", seed);
    CHECK(mkdir(seed, 0755) == 0 && write_host_file(path, "one\ntwo\nthree\n"));
    snprintf(name, sizeof name, "capi-ws-%ld", (long)getpid());
    opts.seed_path = seed;
    opts.name = name;
    opts.disk_mib = 128;
    opts.label_count = 1;
    opts.label_keys = keys;
    opts.label_values = values;
    opts.progress = on_seed_progress;
    opts.progress_payload = &progress;
    if (!ok(pyro_create_workspace(&info, client, kEnv, &opts, &err), &err, "create_workspace")) {
        report("create with seed", failed_before);
        return 0;
    }
    /* hello.txt: 14 bytes, counted as they are copied; the boot comes last. */
    CHECK(progress.bad == 0 && progress.copy_events >= 2);
    CHECK(progress.total == 14 && progress.last_done == 14);
    CHECK(strcmp(progress.last_stage, "start workspace") == 0);
    snprintf(ws_id, sizeof ws_id, "%s", info->workspace_id);
    CHECK(strncmp(info->workspace_id, "ws-", 3) == 0);
    CHECK(strcmp(info->name, name) == 0);
    CHECK(strcmp(info->environment, kEnv) == 0);
    CHECK(info->state == PYRO_WORKSPACE_RUNNING);
    CHECK(info->disk_mib == 128 && info->vcpu_count == 1);
    CHECK(info->label_count == 1 && strcmp(info->label_keys[0], "owner") == 0 &&
          strcmp(info->label_values[0], "capi") == 0);
    CHECK(info->pid > 0 && info->path[0] != '\0' && info->created_at[0] != '\0');
    pyro_workspace_info_free(info);

    /* The name must stay unique. */
    CHECK_STATUS(pyro_create_workspace(&info, client, kEnv, &opts, NULL), PYRO_E_ALREADY_EXISTS);
    report("create with seed, progress through the callback with user data", failed_before);
    return 1;
}

static void test_exec(pyro_client *client) {
    const int failed_before = failed;
    pyro_exec_options exec = PYRO_EXEC_OPTIONS_INIT;
    const char *env[] = {"GREETING=hi", NULL};
    pyro_exec_result *res = NULL;
    pyro_error *err = NULL;

    CHECK(exec_prints(client, "pwd", "/workspace\n"));
    CHECK(exec_prints(client, "cat hello.txt", "one\ntwo\nthree\n"));
    CHECK(exec_prints(client, "echo kept > /tmp/state", ""));
    CHECK(exec_prints(client, "cat /tmp/state", "kept\n")); /* the VM persists between calls */
    exec.env = env;
    if (ok(pyro_exec_workspace(&res, client, ws_id, "echo $GREETING; exit 4", &exec, &err), &err, "exec env")) {
        size_t n = 0;
        const char *out = pyro_exec_result_stdout(res, &n);
        CHECK(n == 3 && memcmp(out, "hi\n", 3) == 0);
        CHECK(pyro_exec_result_exit_code(res) == 4);
        pyro_exec_result_free(res);
    }
    report("exec: cwd, seed, persistence, env, exit code", failed_before);
}

static void test_files(pyro_client *client) {
    const int failed_before = failed;
    pyro_workspace_file_entry *entry = NULL;
    pyro_workspace_file_content *c = NULL;
    pyro_workspace_file_list *list = NULL;
    pyro_push_result *pushed = NULL;
    pyro_push_options push = PYRO_PUSH_OPTIONS_INIT;
    pyro_error *err = NULL;
    char src[300], path[320];

    if (ok(pyro_write_workspace_file(&entry, client, ws_id, "notes/today.txt", "hello\n", &err), &err, "write")) {
        CHECK(strcmp(entry->path, "notes/today.txt") == 0);
        CHECK(strcmp(entry->type, "file") == 0 && entry->size == 6);
        pyro_workspace_file_entry_free(entry);
    }
    CHECK(reads(client, "notes/today.txt", "hello\n"));
    CHECK(reads(client, "/workspace/notes/today.txt", "hello\n"));
    if (ok(pyro_read_workspace_file(&c, client, ws_id, "hello.txt", 4, &err), &err, "read max_bytes")) {
        CHECK(c->truncated && c->content_len == 4 && c->size == 14 && strcmp(c->content, "one\n") == 0);
        pyro_workspace_file_content_free(c);
    }
    CHECK_STATUS(pyro_read_workspace_file(&c, client, ws_id, "missing.txt", 0, NULL), PYRO_E_NOT_FOUND);
    CHECK_STATUS(pyro_read_workspace_file(&c, client, ws_id, "../etc/passwd", 0, NULL), PYRO_E_INVALID_ARGUMENT);

    if (ok(pyro_list_workspace_files(&list, client, ws_id, NULL, 1, &err), &err, "list files")) {
        CHECK(has_file(list, "hello.txt") && has_file(list, "notes/today.txt"));
        pyro_workspace_file_list_free(list);
    }

    snprintf(src, sizeof src, "%s/push", tmp_dir);
    snprintf(path, sizeof path, "%s/pushed.txt", src);
    CHECK(mkdir(src, 0755) == 0 && write_host_file(path, "pushed\n"));
    push.dest = "/workspace/in";
    if (ok(pyro_push_workspace_sync(&pushed, client, ws_id, src, &push, &err), &err, "push")) {
        CHECK(pushed->files == 1 && pushed->bytes == 7);
        pyro_push_result_free(pushed);
    }
    CHECK(reads(client, "in/pushed.txt", "pushed\n"));
    report("write, read, list, push", failed_before);
}

static void test_patch_and_diff(pyro_client *client) {
    const int failed_before = failed;
    static const char patch_text[] =
        "--- a/hello.txt\n+++ b/hello.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n";
    static const char bad_patch[] =
        "--- a/hello.txt\n+++ b/hello.txt\n@@ -1,2 +1,2 @@\n-nothing\n+like\n this\n";
    pyro_patch_options dry = PYRO_PATCH_OPTIONS_INIT;
    pyro_patch_result *pr = NULL;
    pyro_workspace_diff *diff = NULL;
    pyro_error *err = NULL;
    size_t i;
    int saw_modified = 0, saw_added = 0;

    /* A hunk that does not match is a result, not an error. */
    if (ok(pyro_apply_workspace_patch(&pr, client, ws_id, bad_patch, NULL, &err), &err, "bad patch")) {
        CHECK(!pr->applied && pr->file_count == 1);
        CHECK(pr->file_count == 1 && pr->files[0]->hunk_count == 1 && !pr->files[0]->hunks[0]->applied);
        CHECK(pr->summary[0] != '\0');
        pyro_patch_result_free(pr);
    }
    dry.dry_run = 1;
    if (ok(pyro_apply_workspace_patch(&pr, client, ws_id, patch_text, &dry, &err), &err, "dry run")) {
        CHECK(pr->dry_run);
        pyro_patch_result_free(pr);
    }
    CHECK(reads(client, "hello.txt", "one\ntwo\nthree\n"));
    if (ok(pyro_apply_workspace_patch(&pr, client, ws_id, patch_text, NULL, &err), &err, "patch")) {
        CHECK(pr->applied && !pr->dry_run && pr->file_count == 1);
        if (pr->file_count == 1) {
            CHECK(strcmp(pr->files[0]->path, "hello.txt") == 0);
            CHECK(strcmp(pr->files[0]->action, "modify") == 0 && pr->files[0]->ok);
            CHECK(pr->files[0]->hunk_count == 1 && pr->files[0]->hunks[0]->applied &&
                  pr->files[0]->hunks[0]->index == 1);
        }
        pyro_patch_result_free(pr);
    }
    CHECK(reads(client, "hello.txt", "one\nTWO\nthree\n"));
    CHECK_STATUS(pyro_apply_workspace_patch(&pr, client, ws_id, "not a patch", NULL, NULL),
                 PYRO_E_INVALID_ARGUMENT);

    if (ok(pyro_diff_workspace(&diff, client, ws_id, &err), &err, "diff")) {
        for (i = 0; i < diff->entry_count; ++i) {
            const pyro_workspace_diff_entry *e = diff->entries[i];
            if (strcmp(e->path, "hello.txt") == 0 && strcmp(e->status, "modified") == 0) saw_modified = 1;
            if (strcmp(e->path, "notes/today.txt") == 0 && strcmp(e->status, "added") == 0) saw_added = 1;
        }
        CHECK(saw_modified && saw_added);
        CHECK(diff->modified >= 1 && diff->added >= 1 && diff->deleted == 0);
        CHECK(diff->unified_len == strlen(diff->unified));
        CHECK(strstr(diff->unified, "+TWO") != NULL && strstr(diff->unified, "-two") != NULL);
        pyro_workspace_diff_free(diff);
    }
    report("apply patch (mismatch, dry run, applied), diff", failed_before);
}

static void test_snapshot_reset_export(pyro_client *client) {
    const int failed_before = failed;
    pyro_workspace_snapshot_info *snap = NULL;
    pyro_workspace_snapshot_list *snaps = NULL;
    pyro_workspace_file_entry *entry = NULL;
    pyro_workspace_info *info = NULL;
    pyro_export_result *ex = NULL;
    pyro_workspace_file_content *c = NULL;
    pyro_error *err = NULL;
    char out_path[320];
    struct stat st;

    if (ok(pyro_create_snapshot(&snap, client, ws_id, "snap1", &err), &err, "create_snapshot")) {
        CHECK(strcmp(snap->name, "snap1") == 0 && snap->created_at[0] != '\0');
        pyro_workspace_snapshot_info_free(snap);
    }
    CHECK_STATUS(pyro_create_snapshot(&snap, client, ws_id, "snap1", NULL), PYRO_E_ALREADY_EXISTS);
    if (ok(pyro_list_snapshots(&snaps, client, ws_id, &err), &err, "list_snapshots")) {
        CHECK(snaps->count == 1 && strcmp(snaps->items[0]->name, "snap1") == 0);
        pyro_workspace_snapshot_list_free(snaps);
    }

    if (ok(pyro_write_workspace_file(&entry, client, ws_id, "notes/today.txt", "changed\n", &err), &err, "write"))
        pyro_workspace_file_entry_free(entry);
    if (ok(pyro_reset_workspace(&info, client, ws_id, "snap1", &err), &err, "reset to snapshot")) {
        CHECK(info->state == PYRO_WORKSPACE_RUNNING);
        pyro_workspace_info_free(info);
    }
    CHECK(reads(client, "notes/today.txt", "hello\n"));
    CHECK(reads(client, "hello.txt", "one\nTWO\nthree\n"));

    snprintf(out_path, sizeof out_path, "%s/exported.txt", tmp_dir);
    if (ok(pyro_export_workspace(&ex, client, ws_id, "hello.txt", out_path, &err), &err, "export")) {
        CHECK(ex->files == 1 && ex->bytes == 14 && strcmp(ex->output_path, out_path) == 0);
        pyro_export_result_free(ex);
    }
    CHECK(stat(out_path, &st) == 0 && st.st_size == 14);
    CHECK_STATUS(pyro_export_workspace(&ex, client, ws_id, "hello.txt", out_path, NULL), PYRO_E_ALREADY_EXISTS);

    if (ok(pyro_reset_workspace(&info, client, ws_id, NULL, &err), &err, "reset to baseline"))
        pyro_workspace_info_free(info);
    CHECK(reads(client, "hello.txt", "one\ntwo\nthree\n"));
    CHECK_STATUS(pyro_read_workspace_file(&c, client, ws_id, "notes/today.txt", 0, NULL),
                 PYRO_E_NOT_FOUND); /* written after the baseline */

    CHECK_STATUS(pyro_delete_snapshot(client, ws_id, "snap1", NULL), PYRO_OK);
    CHECK_STATUS(pyro_delete_snapshot(client, ws_id, "snap1", NULL), PYRO_E_NOT_FOUND);
    report("snapshot, reset to snapshot and baseline, export", failed_before);
}

static void test_stop_disk_start(pyro_client *client) {
    const int failed_before = failed;
    pyro_workspace_info *info = NULL;
    pyro_workspace_file_list *list = NULL;
    pyro_workspace_file_content *c = NULL;
    pyro_export_result *ex = NULL;
    pyro_exec_result *res = NULL;
    pyro_error *err = NULL;
    char img[320];

    if (ok(pyro_stop_workspace(&info, client, ws_id, &err), &err, "stop")) {
        CHECK(info->state == PYRO_WORKSPACE_STOPPED && info->pid == 0);
        pyro_workspace_info_free(info);
    }
    CHECK_STATUS(pyro_exec_workspace(&res, client, ws_id, "true", NULL, NULL), PYRO_E_FAILED_PRECONDITION);
    if (ok(pyro_list_workspace_disk(&list, client, ws_id, "", 0, &err), &err, "list_workspace_disk")) {
        CHECK(has_file(list, "hello.txt"));
        pyro_workspace_file_list_free(list);
    }
    if (ok(pyro_read_workspace_disk(&c, client, ws_id, "hello.txt", 0, &err), &err, "read_workspace_disk")) {
        CHECK(strcmp(c->content, "one\ntwo\nthree\n") == 0 && !c->truncated);
        pyro_workspace_file_content_free(c);
    }
    snprintf(img, sizeof img, "%s/disk.ext4", tmp_dir);
    if (ok(pyro_export_workspace_disk(&ex, client, ws_id, img, &err), &err, "export_workspace_disk")) {
        CHECK(ex->bytes > 0 && strcmp(ex->output_path, img) == 0);
        pyro_export_result_free(ex);
    }

    if (ok(pyro_start_workspace(&info, client, ws_id, &err), &err, "start")) {
        CHECK(info->state == PYRO_WORKSPACE_RUNNING && info->pid > 0);
        pyro_workspace_info_free(info);
    }
    CHECK(exec_prints(client, "cat hello.txt", "one\ntwo\nthree\n"));
    CHECK_STATUS(pyro_list_workspace_disk(&list, client, ws_id, "", 0, NULL), PYRO_E_FAILED_PRECONDITION);
    report("stop, offline disk, start", failed_before);
}

static void test_update_list_delete(pyro_client *client) {
    const int failed_before = failed;
    const char *keys[] = {"a", "b"};
    const char *values[] = {"1", "2"};
    pyro_workspace_update update = PYRO_WORKSPACE_UPDATE_INIT;
    pyro_workspace_info *info = NULL;
    pyro_workspace_list *list = NULL;
    pyro_error *err = NULL;
    char name[64];
    size_t i;
    int listed = 0;

    snprintf(name, sizeof name, "capi-renamed-%ld", (long)getpid());
    update.name = name;
    update.replace_labels = 1;
    update.label_count = 2;
    update.label_keys = keys;
    update.label_values = values;
    if (ok(pyro_update_workspace(&info, client, ws_id, &update, &err), &err, "update")) {
        CHECK(strcmp(info->name, name) == 0 && info->label_count == 2);
        CHECK(info->label_count == 2 && strcmp(info->label_keys[1], "b") == 0 &&
              strcmp(info->label_values[1], "2") == 0);
        pyro_workspace_info_free(info);
    }
    if (ok(pyro_status_workspace(&info, client, name, &err), &err, "status by name")) {
        CHECK(strcmp(info->workspace_id, ws_id) == 0);
        pyro_workspace_info_free(info);
    }
    if (ok(pyro_list_workspaces(&list, client, &err), &err, "list_workspaces")) {
        for (i = 0; i < list->count; ++i)
            if (strcmp(list->items[i]->workspace_id, ws_id) == 0) listed = 1;
        CHECK(listed);
        pyro_workspace_list_free(list);
    }
    CHECK_STATUS(pyro_delete_workspace(client, ws_id, NULL), PYRO_OK);
    CHECK_STATUS(pyro_status_workspace(&info, client, ws_id, NULL), PYRO_E_NOT_FOUND);
    ws_id[0] = '\0';
    report("update, status by name, list, delete", failed_before);
}

int main(void) {
    pyro_client *client = NULL;
    pyro_error *err = NULL;
    char cmd[300];

    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/pyro-capi-ws-XXXXXX");
    if (mkdtemp(tmp_dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    if (pyro_client_new(&client, NULL, &err) != PYRO_OK) {
        fprintf(stderr, "client_new: %s\n", pyro_error_message(err));
        pyro_error_free(err);
        return 1;
    }
    test_argument_errors(client);
    if (test_create(client)) {
        test_exec(client);
        test_files(client);
        test_patch_and_diff(client);
        test_snapshot_reset_export(client);
        test_stop_disk_start(client);
        test_update_list_delete(client);
    }
    if (ws_id[0] != '\0') pyro_delete_workspace(client, ws_id, NULL); /* after a failure */
    pyro_client_free(client);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp_dir);
    return summary();
}

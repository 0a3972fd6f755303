/* workspace.c — a persistent workspace through the pyro C API: create it from
 * a seed directory, run a command, edit a file, show the diff, delete it.
 *
 *     workspace [SEED_DIR]      (environment "busybox"; PYRO_HOME as usual)
 */
#include <stdio.h>

#include <pyro/c/pyro.h>

static int fail(const char *what, pyro_error *err) {
    fprintf(stderr, "workspace: %s: %s: %s\n", what, pyro_status_str(pyro_error_code(err)),
            pyro_error_message(err));
    pyro_error_free(err);
    return 1;
}

/* Everything after create, so that main() deletes the workspace on every path. */
static int use(pyro_client *client, const char *ws) {
    pyro_error *err = NULL;
    pyro_exec_result *res = NULL;
    pyro_workspace_file_entry *entry = NULL;
    pyro_workspace_diff *diff = NULL;
    size_t n, i;
    const char *out;

    if (pyro_exec_workspace(&res, client, ws, "ls -la", NULL, &err) != PYRO_OK)
        return fail("exec", err);
    out = pyro_exec_result_stdout(res, &n);
    fwrite(out, 1, n, stdout);
    pyro_exec_result_free(res);

    if (pyro_write_workspace_file(&entry, client, ws, "NOTES.md", "# written from C\n", &err) != PYRO_OK)
        return fail("write NOTES.md", err);
    printf("wrote %s (%llu bytes)\n", entry->path, (unsigned long long)entry->size);
    pyro_workspace_file_entry_free(entry);

    if (pyro_diff_workspace(&diff, client, ws, &err) != PYRO_OK) return fail("diff", err);
    for (i = 0; i < diff->entry_count; ++i)
        printf("%-12s %s\n", diff->entries[i]->status, diff->entries[i]->path);
    fwrite(diff->unified, 1, diff->unified_len, stdout);
    pyro_workspace_diff_free(diff);
    return 0;
}

int main(int argc, char **argv) {
    pyro_client *client = NULL;
    pyro_workspace_info *info = NULL;
    pyro_workspace_options opts = PYRO_WORKSPACE_OPTIONS_INIT;
    pyro_error *err = NULL;
    int rc;

    if (argc > 1) opts.seed_path = argv[1];
    if (pyro_client_new(&client, NULL, &err) != PYRO_OK) return fail("client", err);
    if (pyro_create_workspace(&info, client, "busybox", &opts, &err) != PYRO_OK) {
        rc = fail("create workspace", err);
        pyro_client_free(client);
        return rc;
    }
    printf("workspace %s (%s, booted in %llu ms)\n", info->workspace_id,
           pyro_workspace_state_str(info->state), (unsigned long long)info->boot_ms);
    rc = use(client, info->workspace_id);
    if (pyro_delete_workspace(client, info->workspace_id, &err) != PYRO_OK) rc = fail("delete", err);
    pyro_workspace_info_free(info);
    pyro_client_free(client);
    return rc;
}

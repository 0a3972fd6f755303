/**
 * @file pyro/c/workspace_files.h
 * @brief Files of a workspace: push a host tree, list, read, write, apply a
 *        patch, diff against the baseline, export, and offline disk access.
 *
 *     pyro_workspace_file_entry *e = NULL;
 *     pyro_write_workspace_file(&e, client, "ws-0123456789ab", "notes.txt", "hi\n", &err);
 *     pyro_workspace_file_entry_free(e);
 *
 *     pyro_workspace_diff *d = NULL;
 *     if (pyro_diff_workspace(&d, client, "ws-0123456789ab", &err) == PYRO_OK) {
 *         for (size_t i = 0; i < d->entry_count; ++i)
 *             printf("%s %s\n", d->entries[i]->status, d->entries[i]->path);
 *         fwrite(d->unified, 1, d->unified_len, stdout);
 *         pyro_workspace_diff_free(d);
 *     }
 *
 * Paths name files under /workspace: relative ("src/a.c") or absolute within
 * it ("/workspace/src/a.c"); `..` and symlinks leading outside are refused
 * with PYRO_E_INVALID_ARGUMENT. Results follow the rules of pyro/c/workspace.h:
 * plain structs allocated by the library, released with their `_free`, string
 * fields never NULL, fields only appended, lists of pointers.
 */
#ifndef PYRO_C_WORKSPACE_FILES_H
#define PYRO_C_WORKSPACE_FILES_H

#include "pyro/c/client.h"
#include "pyro/c/common.h"
#include "pyro/c/error.h"

PYRO_BEGIN_DECL

/** max_bytes used by the read functions when 0 is passed. */
#define PYRO_WORKSPACE_READ_DEFAULT_MAX_BYTES 65536u

/* ---- options -------------------------------------------------------------- */

/** Options of pyro_push_workspace_sync(). Versioned and append-only. */
typedef struct pyro_push_options {
    unsigned int version; /**< PYRO_PUSH_OPTIONS_VERSION */
    /** A directory under /workspace, created if missing; NULL or "": "/workspace". */
    const char *dest;
} pyro_push_options;

#define PYRO_PUSH_OPTIONS_VERSION 1
#define PYRO_PUSH_OPTIONS_INIT { PYRO_PUSH_OPTIONS_VERSION, NULL }

/**
 * Fills @p opts with PYRO_PUSH_OPTIONS_INIT.
 * @return PYRO_OK, or PYRO_E_INVALID_ARGUMENT for NULL @p opts or an unknown @p version
 */
PYRO_EXTERN(pyro_status) pyro_push_options_init(pyro_push_options *opts, unsigned int version);

/** Options of pyro_apply_workspace_patch(). Versioned and append-only. */
typedef struct pyro_patch_options {
    unsigned int version; /**< PYRO_PATCH_OPTIONS_VERSION */
    int dry_run;          /**< non-zero: check every hunk, change nothing */
} pyro_patch_options;

#define PYRO_PATCH_OPTIONS_VERSION 1
#define PYRO_PATCH_OPTIONS_INIT { PYRO_PATCH_OPTIONS_VERSION, 0 }

/**
 * Fills @p opts with PYRO_PATCH_OPTIONS_INIT.
 * @return PYRO_OK, or PYRO_E_INVALID_ARGUMENT for NULL @p opts or an unknown @p version
 */
PYRO_EXTERN(pyro_status) pyro_patch_options_init(pyro_patch_options *opts, unsigned int version);

/* ---- results -------------------------------------------------------------- */

/** One file, directory or symlink under /workspace (lstat semantics). */
typedef struct pyro_workspace_file_entry {
    const char *path;   /**< relative to /workspace, '/'-separated */
    const char *type;   /**< "file", "directory", "symlink" or "other" */
    uint64_t size;
    uint32_t mode;      /**< permission bits */
    int64_t mtime;      /**< unix seconds */
    const char *target; /**< symlinks only, else "" */
} pyro_workspace_file_entry;

/** Releases an entry returned by pyro_write_workspace_file(). NULL is allowed. */
PYRO_EXTERN(void) pyro_workspace_file_entry_free(pyro_workspace_file_entry *entry);

/** Entries of a directory listing. */
typedef struct pyro_workspace_file_list {
    pyro_workspace_file_entry **items; /**< @c count entries, owned by the list */
    size_t count;
} pyro_workspace_file_list;

/** Releases a list and its entries. NULL is allowed. */
PYRO_EXTERN(void) pyro_workspace_file_list_free(pyro_workspace_file_list *list);

/** A text file read from a workspace. */
typedef struct pyro_workspace_file_content {
    const char *path;
    const char *content; /**< UTF-8 text, NUL-terminated */
    size_t content_len;  /**< bytes in @c content, without the NUL */
    uint64_t size;       /**< the whole file's size */
    int truncated;       /**< non-zero: content stops at max_bytes */
} pyro_workspace_file_content;

PYRO_EXTERN(void) pyro_workspace_file_content_free(pyro_workspace_file_content *content);

/** What pyro_push_workspace_sync() copied. */
typedef struct pyro_push_result {
    uint64_t files;
    uint64_t directories;
    uint64_t symlinks;
    uint64_t bytes;
} pyro_push_result;

PYRO_EXTERN(void) pyro_push_result_free(pyro_push_result *res);

/** One hunk of one file of a patch. */
typedef struct pyro_patch_hunk_report {
    uint32_t index;      /**< 1-based, in patch order */
    uint32_t old_start;  /**< as written in the hunk header */
    int applied;         /**< non-zero: it matched */
    int32_t offset;      /**< lines away from old_start where it matched */
    const char *message; /**< why it did not match, else "" */
} pyro_patch_hunk_report;

/** One file of a patch. */
typedef struct pyro_patch_file_report {
    const char *path;
    const char *old_path; /**< renames only, else "" */
    const char *action;   /**< "create", "modify", "delete" or "rename" */
    int ok;
    const char *message;
    pyro_patch_hunk_report **hunks; /**< @c hunk_count entries */
    size_t hunk_count;
} pyro_patch_file_report;

/** Outcome of a patch. It applies completely or not at all: @c applied 0 means nothing changed. */
typedef struct pyro_patch_result {
    int applied;
    int dry_run;
    pyro_patch_file_report **files; /**< @c file_count entries */
    size_t file_count;
    const char *summary; /**< one line for humans and models */
} pyro_patch_result;

/** Releases a patch result with its files and hunks. NULL is allowed. */
PYRO_EXTERN(void) pyro_patch_result_free(pyro_patch_result *res);

/** One changed path since the baseline. */
typedef struct pyro_workspace_diff_entry {
    const char *path;
    const char *status; /**< "added", "modified", "deleted" or "type_changed" */
    const char *type;   /**< file type now (or before, when deleted) */
    uint64_t old_size;
    uint64_t new_size;
    int binary;         /**< non-zero: no text diff for this entry */
} pyro_workspace_diff_entry;

/** Changes under /workspace since the baseline (the seed content). */
typedef struct pyro_workspace_diff {
    pyro_workspace_diff_entry **entries; /**< @c entry_count entries; 0: unchanged */
    size_t entry_count;
    const char *unified; /**< `diff -u` text of the changed text files */
    size_t unified_len;
    uint32_t added;
    uint32_t modified;
    uint32_t deleted;
} pyro_workspace_diff;

PYRO_EXTERN(void) pyro_workspace_diff_free(pyro_workspace_diff *diff);

/** What an export wrote on the host. */
typedef struct pyro_export_result {
    const char *output_path;
    uint64_t files;
    uint64_t directories;
    uint64_t bytes;
} pyro_export_result;

PYRO_EXTERN(void) pyro_export_result_free(pyro_export_result *res);

/* ---- operations on a running workspace ------------------------------------ */

/**
 * Copies a host directory or archive into the running workspace (files are
 * replaced one by one, each atomically; nothing is deleted).
 * @param opts options, or NULL for the defaults
 * @return PYRO_OK; PYRO_E_NOT_FOUND, PYRO_E_INVALID_ARGUMENT, PYRO_E_FAILED_PRECONDITION
 */
PYRO_EXTERN(pyro_status) pyro_push_workspace_sync(pyro_push_result **out, pyro_client *client,
                                                  const char *workspace, const char *source_path,
                                                  const pyro_push_options *opts, pyro_error **err);

/**
 * Lists a directory (or one file) under /workspace.
 * @param path      NULL or "": /workspace itself
 * @param recursive non-zero: the whole tree below @p path
 * @return PYRO_OK; PYRO_E_NOT_FOUND, PYRO_E_INVALID_ARGUMENT, PYRO_E_FAILED_PRECONDITION
 */
PYRO_EXTERN(pyro_status) pyro_list_workspace_files(pyro_workspace_file_list **out,
                                                   pyro_client *client, const char *workspace,
                                                   const char *path, int recursive,
                                                   pyro_error **err);

/**
 * Reads a text file.
 * @param max_bytes at most this many bytes (<= 1 MiB); 0: PYRO_WORKSPACE_READ_DEFAULT_MAX_BYTES
 * @return PYRO_OK; PYRO_E_NOT_FOUND, PYRO_E_INVALID_ARGUMENT (path, binary content),
 *         PYRO_E_FAILED_PRECONDITION
 */
PYRO_EXTERN(pyro_status) pyro_read_workspace_file(pyro_workspace_file_content **out,
                                                  pyro_client *client, const char *workspace,
                                                  const char *path, uint64_t max_bytes,
                                                  pyro_error **err);

/**
 * Creates or replaces a text file atomically (parents created).
 * @param text UTF-8, NUL-terminated, at most 1 MiB
 * @param out  receives the new file's entry (caller frees with pyro_workspace_file_entry_free)
 * @return PYRO_OK; PYRO_E_NOT_FOUND, PYRO_E_INVALID_ARGUMENT (path, not UTF-8, too large),
 *         PYRO_E_FAILED_PRECONDITION
 */
PYRO_EXTERN(pyro_status) pyro_write_workspace_file(pyro_workspace_file_entry **out,
                                                   pyro_client *client, const char *workspace,
                                                   const char *path, const char *text,
                                                   pyro_error **err);

/**
 * Applies a unified diff atomically: every hunk of every file, or nothing. A
 * hunk that does not match is a result (applied 0, with the report), not an error.
 * @param opts options, or NULL for the defaults
 * @return PYRO_OK; PYRO_E_NOT_FOUND, PYRO_E_INVALID_ARGUMENT (malformed patch,
 *         path rules), PYRO_E_FAILED_PRECONDITION
 */
PYRO_EXTERN(pyro_status) pyro_apply_workspace_patch(pyro_patch_result **out, pyro_client *client,
                                                    const char *workspace, const char *patch,
                                                    const pyro_patch_options *opts,
                                                    pyro_error **err);

/**
 * Changes under /workspace since the baseline. Works running or stopped.
 * @return PYRO_OK; PYRO_E_NOT_FOUND, PYRO_E_FAILED_PRECONDITION
 */
PYRO_EXTERN(pyro_status) pyro_diff_workspace(pyro_workspace_diff **out, pyro_client *client,
                                             const char *workspace, pyro_error **err);

/**
 * Copies one file or a directory tree from /workspace to a new host path.
 * @return PYRO_OK; PYRO_E_NOT_FOUND, PYRO_E_ALREADY_EXISTS (output_path exists),
 *         PYRO_E_INVALID_ARGUMENT
 */
PYRO_EXTERN(pyro_status) pyro_export_workspace(pyro_export_result **out, pyro_client *client,
                                               const char *workspace, const char *path,
                                               const char *output_path, pyro_error **err);

/* ---- offline access to a stopped workspace's disk ------------------------- */

/**
 * Lists the disk of a stopped workspace without starting it (a throwaway VM reads it).
 * @return PYRO_OK; PYRO_E_FAILED_PRECONDITION (running), PYRO_E_NOT_FOUND,
 *         PYRO_E_INVALID_ARGUMENT, PYRO_E_UNAVAILABLE (the VM could not start or mount
 *         the disk), PYRO_E_DEADLINE_EXCEEDED
 */
PYRO_EXTERN(pyro_status) pyro_list_workspace_disk(pyro_workspace_file_list **out,
                                                  pyro_client *client, const char *workspace,
                                                  const char *path, int recursive,
                                                  pyro_error **err);

/**
 * Reads a text file from the disk of a stopped workspace.
 * @param max_bytes 0: PYRO_WORKSPACE_READ_DEFAULT_MAX_BYTES
 * @return as pyro_list_workspace_disk()
 */
PYRO_EXTERN(pyro_status) pyro_read_workspace_disk(pyro_workspace_file_content **out,
                                                  pyro_client *client, const char *workspace,
                                                  const char *path, uint64_t max_bytes,
                                                  pyro_error **err);

/**
 * Copies the raw ext4 image of /workspace to a new host file.
 * @return PYRO_OK; PYRO_E_NOT_FOUND, PYRO_E_FAILED_PRECONDITION, PYRO_E_ALREADY_EXISTS
 */
PYRO_EXTERN(pyro_status) pyro_export_workspace_disk(pyro_export_result **out, pyro_client *client,
                                                    const char *workspace,
                                                    const char *output_path, pyro_error **err);

PYRO_END_DECL

#endif /* PYRO_C_WORKSPACE_FILES_H */

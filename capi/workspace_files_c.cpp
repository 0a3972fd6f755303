// C ABI: files of a workspace — push, list, read, write, patch, diff, export
// and offline disk access (include/pyro/c/workspace_files.h).
#include <string>

#include "workspace_results.hpp"

namespace {

std::string or_empty(const char* s) { return s ? s : ""; }

uint64_t or_default_max(uint64_t max_bytes) {
  return max_bytes == 0 ? PYRO_WORKSPACE_READ_DEFAULT_MAX_BYTES : max_bytes;
}

}  // namespace

extern "C" {

pyro_status pyro_push_workspace_sync(pyro_push_result** out, pyro_client* client,
                                     const char* workspace, const char* source_path,
                                     const pyro_push_options* opts, pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  PYRO_CHECK_ARG(source_path);
  PYRO_CHECK_VERSION(opts, PYRO_PUSH_OPTIONS_VERSION, "pyro_push_options");
  return pyro::capi::guard(err, __func__, [&] {
    pyro::PushOptions options;
    if (opts && opts->dest && opts->dest[0] != '\0') options.dest = opts->dest;
    *out = pyro::capi::new_push_result(
        client->impl.push_workspace_sync(workspace, source_path, options));
  });
}

pyro_status pyro_list_workspace_files(pyro_workspace_file_list** out, pyro_client* client,
                                      const char* workspace, const char* path, int recursive,
                                      pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  return pyro::capi::guard(err, __func__, [&] {
    *out = pyro::capi::new_file_list(
        client->impl.list_workspace_files(workspace, or_empty(path), recursive != 0));
  });
}

pyro_status pyro_read_workspace_file(pyro_workspace_file_content** out, pyro_client* client,
                                     const char* workspace, const char* path, uint64_t max_bytes,
                                     pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  PYRO_CHECK_ARG(path);
  return pyro::capi::guard(err, __func__, [&] {
    *out = pyro::capi::new_file_content(
        client->impl.read_workspace_file(workspace, path, or_default_max(max_bytes)));
  });
}

pyro_status pyro_write_workspace_file(pyro_workspace_file_entry** out, pyro_client* client,
                                      const char* workspace, const char* path, const char* text,
                                      pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  PYRO_CHECK_ARG(path);
  PYRO_CHECK_ARG(text);
  return pyro::capi::guard(err, __func__, [&] {
    *out = pyro::capi::new_file_entry(client->impl.write_workspace_file(workspace, path, text));
  });
}

pyro_status pyro_apply_workspace_patch(pyro_patch_result** out, pyro_client* client,
                                       const char* workspace, const char* patch,
                                       const pyro_patch_options* opts, pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  PYRO_CHECK_ARG(patch);
  PYRO_CHECK_VERSION(opts, PYRO_PATCH_OPTIONS_VERSION, "pyro_patch_options");
  return pyro::capi::guard(err, __func__, [&] {
    pyro::PatchOptions options;
    options.dry_run = opts && opts->dry_run != 0;
    *out = pyro::capi::new_patch_result(
        client->impl.apply_workspace_patch(workspace, patch, options));
  });
}

pyro_status pyro_diff_workspace(pyro_workspace_diff** out, pyro_client* client,
                                const char* workspace, pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  return pyro::capi::guard(err, __func__, [&] {
    *out = pyro::capi::new_workspace_diff(client->impl.diff_workspace(workspace));
  });
}

pyro_status pyro_export_workspace(pyro_export_result** out, pyro_client* client,
                                  const char* workspace, const char* path,
                                  const char* output_path, pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  PYRO_CHECK_ARG(path);
  PYRO_CHECK_ARG(output_path);
  return pyro::capi::guard(err, __func__, [&] {
    *out = pyro::capi::new_export_result(
        client->impl.export_workspace(workspace, path, output_path));
  });
}

pyro_status pyro_list_workspace_disk(pyro_workspace_file_list** out, pyro_client* client,
                                     const char* workspace, const char* path, int recursive,
                                     pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  return pyro::capi::guard(err, __func__, [&] {
    *out = pyro::capi::new_file_list(
        client->impl.list_workspace_disk(workspace, or_empty(path), recursive != 0));
  });
}

pyro_status pyro_read_workspace_disk(pyro_workspace_file_content** out, pyro_client* client,
                                     const char* workspace, const char* path, uint64_t max_bytes,
                                     pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  PYRO_CHECK_ARG(path);
  return pyro::capi::guard(err, __func__, [&] {
    *out = pyro::capi::new_file_content(
        client->impl.read_workspace_disk(workspace, path, or_default_max(max_bytes)));
  });
}

pyro_status pyro_export_workspace_disk(pyro_export_result** out, pyro_client* client,
                                       const char* workspace, const char* output_path,
                                       pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  PYRO_CHECK_ARG(output_path);
  return pyro::capi::guard(err, __func__, [&] {
    *out = pyro::capi::new_export_result(
        client->impl.export_workspace_disk(workspace, output_path));
  });
}

}  // extern "C"

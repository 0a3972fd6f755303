// C ABI: workspace lifecycle, exec and snapshots (include/pyro/c/workspace.h).
#include <string>
#include <utility>
#include <vector>

#include "output_c.hpp"
#include "progress_c.hpp"
#include "workspace_results.hpp"

namespace {

pyro::Error secret_error(size_t i, const std::string& why) {
  return pyro::Error(pyro::ErrorCode::kInvalidArgument,
                     "read secret " + std::to_string(i) + " of `pyro_workspace_options`: " + why);
}

// Parallel arrays to WorkspaceSecret. Only the C shape is checked here (NULLs,
// one of value/file); names and sizes are the core's to judge.
std::vector<pyro::WorkspaceSecret> to_secrets(const pyro_workspace_options& in) {
  std::vector<pyro::WorkspaceSecret> out;
  if (in.secret_count == 0) return out;
  if (in.secret_names == nullptr) {
    throw pyro::Error(pyro::ErrorCode::kInvalidArgument,
                      "read secrets of `pyro_workspace_options`: secret_count is " +
                          std::to_string(in.secret_count) + " but secret_names is NULL");
  }
  for (size_t i = 0; i < in.secret_count; ++i) {
    const char* name = in.secret_names[i];
    const char* value = in.secret_values ? in.secret_values[i] : nullptr;
    const char* file = in.secret_files ? in.secret_files[i] : nullptr;
    if (name == nullptr) throw secret_error(i, "secret_names[" + std::to_string(i) + "] is NULL");
    // Exactly one of value and file: checked by the core, once for every surface.
    pyro::WorkspaceSecret secret;
    secret.name = name;
    if (value) secret.value = value;
    if (file) secret.file_path = file;
    out.push_back(std::move(secret));
  }
  return out;
}

// Called inside guard(): converting labels, policy and secrets may throw.
pyro::WorkspaceOptions to_workspace_options(const pyro_workspace_options* in) {
  pyro::WorkspaceOptions out;
  if (!in) return out;
  out.vcpu_count = in->vcpu_count;
  out.mem_mib = in->mem_mib;
  out.disk_mib = in->disk_mib;
  if (in->network_policy && in->network_policy[0] != '\0') {
    out.network_policy = pyro::network_policy_from_name(in->network_policy);
  }
  out.secrets = to_secrets(*in);
  if (in->seed_path) out.seed_path = in->seed_path;
  if (in->name) out.name = in->name;
  out.labels = pyro::capi::to_labels(in->label_count, in->label_keys, in->label_values,
                                     "pyro_workspace_options");
  return out;
}

pyro::WorkspaceUpdate to_workspace_update(const pyro_workspace_update* in) {
  pyro::WorkspaceUpdate out;
  if (!in) return out;
  if (in->name) out.name = std::string(in->name);
  if (in->replace_labels) {
    out.labels = pyro::capi::to_labels(in->label_count, in->label_keys, in->label_values,
                                       "pyro_workspace_update");
  }
  return out;
}

}  // namespace

extern "C" {

pyro_status pyro_create_workspace(pyro_workspace_info** out, pyro_client* client,
                                  const char* environment, const pyro_workspace_options* opts,
                                  pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(environment);
  if (opts && opts->version != 1 && opts->version != PYRO_WORKSPACE_OPTIONS_VERSION) {
    return pyro::capi::bad_version(err, __func__, "pyro_workspace_options", opts->version,
                                   PYRO_WORKSPACE_OPTIONS_VERSION);
  }
  // A version 1 struct ends before the progress fields.
  const bool has_progress = opts && opts->version >= 2;
  pyro::capi::ProgressAdapter progress(has_progress ? opts->progress : nullptr,
                                       has_progress ? opts->progress_payload : nullptr);
  pyro_workspace_info* result = nullptr;
  pyro_status s = pyro::capi::guard(err, __func__, [&] {
    pyro::WorkspaceOptions options = to_workspace_options(opts);
    options.progress = progress.handler();
    result = pyro::capi::new_workspace_info(client->impl.create_workspace(environment, options));
  });
  if (s == PYRO_OK && progress.failed()) {
    pyro_workspace_info_free(result);
    return pyro::capi::user_failure(err, __func__);
  }
  *out = result;
  return s;
}

pyro_status pyro_list_workspaces(pyro_workspace_list** out, pyro_client* client,
                                 pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  return pyro::capi::guard(err, __func__, [&] {
    *out = pyro::capi::new_workspace_list(client->impl.list_workspaces());
  });
}

pyro_status pyro_status_workspace(pyro_workspace_info** out, pyro_client* client,
                                  const char* workspace, pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  return pyro::capi::guard(err, __func__, [&] {
    *out = pyro::capi::new_workspace_info(client->impl.status_workspace(workspace));
  });
}

pyro_status pyro_update_workspace(pyro_workspace_info** out, pyro_client* client,
                                  const char* workspace, const pyro_workspace_update* update,
                                  pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  PYRO_CHECK_VERSION(update, PYRO_WORKSPACE_UPDATE_VERSION, "pyro_workspace_update");
  return pyro::capi::guard(err, __func__, [&] {
    auto info = client->impl.update_workspace(workspace, to_workspace_update(update));
    *out = pyro::capi::new_workspace_info(info);
  });
}

pyro_status pyro_delete_workspace(pyro_client* client, const char* workspace, pyro_error** err) {
  pyro::capi::reset(err);
  PYRO_CHECK_ARG(client);
  PYRO_CHECK_ARG(workspace);
  return pyro::capi::guard(err, __func__, [&] { client->impl.delete_workspace(workspace); });
}

pyro_status pyro_exec_workspace(pyro_exec_result** out, pyro_client* client,
                                const char* workspace, const char* command,
                                const pyro_exec_options* exec, pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  PYRO_CHECK_ARG(command);
  if (pyro_status s = pyro::capi::check_exec_version(exec, __func__, err); s != PYRO_OK) return s;
  pyro::capi::OutputAdapter output = pyro::capi::output_adapter(exec);
  return output.finish(pyro::capi::guard(err, __func__, [&] {
    auto exec_options = pyro::capi::to_exec_options(exec);
    output.apply(exec_options.on_output, exec_options.cancel);
    *out = new pyro_exec_result{client->impl.exec_workspace(workspace, command, exec_options)};
  }), err, __func__);
}

pyro_status pyro_create_snapshot(pyro_workspace_snapshot_info** out, pyro_client* client,
                                 const char* workspace, const char* name, pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  PYRO_CHECK_ARG(name);
  return pyro::capi::guard(err, __func__, [&] {
    *out = pyro::capi::new_snapshot_info(client->impl.create_snapshot(workspace, name));
  });
}

pyro_status pyro_list_snapshots(pyro_workspace_snapshot_list** out, pyro_client* client,
                                const char* workspace, pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  return pyro::capi::guard(err, __func__, [&] {
    *out = pyro::capi::new_snapshot_list(client->impl.list_snapshots(workspace));
  });
}

pyro_status pyro_delete_snapshot(pyro_client* client, const char* workspace, const char* name,
                                 pyro_error** err) {
  pyro::capi::reset(err);
  PYRO_CHECK_ARG(client);
  PYRO_CHECK_ARG(workspace);
  PYRO_CHECK_ARG(name);
  return pyro::capi::guard(err, __func__,
                           [&] { client->impl.delete_snapshot(workspace, name); });
}

pyro_status pyro_reset_workspace(pyro_workspace_info** out, pyro_client* client,
                                 const char* workspace, const char* snapshot, pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  return pyro::capi::guard(err, __func__, [&] {
    auto info = client->impl.reset_workspace(workspace, snapshot ? snapshot : "");
    *out = pyro::capi::new_workspace_info(info);
  });
}

pyro_status pyro_stop_workspace(pyro_workspace_info** out, pyro_client* client,
                                const char* workspace, pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  return pyro::capi::guard(err, __func__, [&] {
    *out = pyro::capi::new_workspace_info(client->impl.stop_workspace(workspace));
  });
}

pyro_status pyro_start_workspace(pyro_workspace_info** out, pyro_client* client,
                                 const char* workspace, pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  return pyro::capi::guard(err, __func__, [&] {
    *out = pyro::capi::new_workspace_info(client->impl.start_workspace(workspace));
  });
}

}  // extern "C"

// C ABI: environments (include/pyro/c/environment.h).
#include <exception>
#include <memory>
#include <string>

#include "capi_internal.hpp"
#include "progress_c.hpp"

namespace {

constexpr pyro_pull_options kPullDefaults = PYRO_PULL_OPTIONS_INIT;
constexpr pyro_import_options kImportDefaults = PYRO_IMPORT_OPTIONS_INIT;
constexpr pyro_prune_options kPruneDefaults = PYRO_PRUNE_OPTIONS_INIT;

const char* field(const pyro_environment_info* i, std::string pyro::EnvironmentInfo::*m) {
  return i ? (i->value.*m).c_str() : nullptr;
}

// Version 1 of pull/import options held a line callback in the same field.
pyro::capi::ProgressAdapter progress_of(unsigned int version, pyro_progress_cb cb, void* payload) {
  if (version == 1 && cb != nullptr) {
    // Back to the type the caller stored (through void(*)(), the generic function pointer).
    auto line_cb = reinterpret_cast<pyro_progress_line_cb>(reinterpret_cast<void (*)()>(cb));
    return pyro::capi::ProgressAdapter::from_line_callback(line_cb, payload);
  }
  return pyro::capi::ProgressAdapter(cb, payload);
}

bool known_version(unsigned int version, unsigned int current) { return version == 1 || version == current; }

// Moves `info` into a new handle for the caller.
pyro_environment_info* new_info(pyro::EnvironmentInfo info) {
  return new pyro_environment_info{std::move(info)};
}

}  // namespace

extern "C" {

/* ---- options ---- */

// Versions 1 and 2 have the same layout (only the callback's type differs).
pyro_status pyro_pull_options_init(pyro_pull_options* opts, unsigned int version) {
  if (opts == nullptr || !known_version(version, PYRO_PULL_OPTIONS_VERSION)) return PYRO_E_INVALID_ARGUMENT;
  *opts = kPullDefaults;
  opts->version = version;
  return PYRO_OK;
}

pyro_status pyro_import_options_init(pyro_import_options* opts, unsigned int version) {
  if (opts == nullptr || !known_version(version, PYRO_IMPORT_OPTIONS_VERSION)) return PYRO_E_INVALID_ARGUMENT;
  *opts = kImportDefaults;
  opts->version = version;
  return PYRO_OK;
}

pyro_status pyro_prune_options_init(pyro_prune_options* opts, unsigned int version) {
  if (opts == nullptr || version != PYRO_PRUNE_OPTIONS_VERSION) return PYRO_E_INVALID_ARGUMENT;
  *opts = kPruneDefaults;
  return PYRO_OK;
}

/* ---- environment info ---- */

const char* pyro_environment_info_name(const pyro_environment_info* i) {
  return field(i, &pyro::EnvironmentInfo::name);
}
const char* pyro_environment_info_description(const pyro_environment_info* i) {
  return field(i, &pyro::EnvironmentInfo::description);
}
int pyro_environment_info_installed(const pyro_environment_info* i) { return i && i->value.installed; }
const char* pyro_environment_info_path(const pyro_environment_info* i) {
  return field(i, &pyro::EnvironmentInfo::path);
}
const char* pyro_environment_info_kernel_version(const pyro_environment_info* i) {
  return field(i, &pyro::EnvironmentInfo::kernel_version);
}
const char* pyro_environment_info_agent_version(const pyro_environment_info* i) {
  return field(i, &pyro::EnvironmentInfo::agent_version);
}
const char* pyro_environment_info_sha256(const pyro_environment_info* i) {
  return field(i, &pyro::EnvironmentInfo::sha256);
}
const char* pyro_environment_info_source(const pyro_environment_info* i) {
  return field(i, &pyro::EnvironmentInfo::source);
}
const char* pyro_environment_info_version(const pyro_environment_info* i) {
  return field(i, &pyro::EnvironmentInfo::version);
}
size_t pyro_environment_info_package_count(const pyro_environment_info* i) {
  return i ? i->value.packages.size() : 0;
}
const char* pyro_environment_info_package(const pyro_environment_info* i, size_t index) {
  return i && index < i->value.packages.size() ? i->value.packages[index].c_str() : nullptr;
}
uint64_t pyro_environment_info_size_bytes(const pyro_environment_info* i) {
  return i ? i->value.size_bytes : 0;
}
const char* pyro_environment_info_built_at(const pyro_environment_info* i) {
  return field(i, &pyro::EnvironmentInfo::built_at);
}
int pyro_environment_info_has_rootfs(const pyro_environment_info* i) {
  return i && i->value.has_rootfs;
}
int pyro_environment_info_snapshot_ready(const pyro_environment_info* i) {
  return i && i->value.snapshot_ready;
}
void pyro_environment_info_free(pyro_environment_info* i) { delete i; }

/* ---- environment list ---- */

size_t pyro_environment_list_count(const pyro_environment_list* l) { return l ? l->items.size() : 0; }
const pyro_environment_info* pyro_environment_list_get(const pyro_environment_list* l, size_t index) {
  return l && index < l->items.size() ? &l->items[index] : nullptr;
}
void pyro_environment_list_free(pyro_environment_list* l) { delete l; }

/* ---- prune result ---- */

size_t pyro_prune_result_count(const pyro_prune_result* r) { return r ? r->value.removed.size() : 0; }
const char* pyro_prune_result_path(const pyro_prune_result* r, size_t index) {
  return r && index < r->value.removed.size() ? r->value.removed[index].c_str() : nullptr;
}
uint64_t pyro_prune_result_bytes_freed(const pyro_prune_result* r) {
  return r ? r->value.bytes_freed : 0;
}
void pyro_prune_result_free(pyro_prune_result* r) { delete r; }

/* ---- operations ---- */

pyro_status pyro_list_environments(pyro_environment_list** out, pyro_client* client,
                                   pyro_error** err) {
  pyro::capi::reset(err);
  PYRO_CHECK_ARG(out);
  *out = nullptr;
  PYRO_CHECK_ARG(client);
  return pyro::capi::guard(err, __func__, [&] {
    auto list = std::make_unique<pyro_environment_list>();
    for (auto& e : client->impl.list_environments()) {
      list->items.push_back(pyro_environment_info{std::move(e)});
    }
    *out = list.release();
  });
}

pyro_status pyro_pull_environment(pyro_environment_info** out, pyro_client* client,
                                  const char* name, const pyro_pull_options* opts,
                                  pyro_error** err) {
  pyro::capi::reset(err);
  PYRO_CHECK_ARG(out);
  *out = nullptr;
  PYRO_CHECK_ARG(client);
  PYRO_CHECK_ARG(name);
  if (opts && !known_version(opts->version, PYRO_PULL_OPTIONS_VERSION)) {
    return pyro::capi::bad_version(err, __func__, "pyro_pull_options", opts->version,
                                   PYRO_PULL_OPTIONS_VERSION);
  }
  const pyro_pull_options& o = opts ? *opts : kPullDefaults;
  pyro::capi::ProgressAdapter progress = progress_of(o.version, o.progress, o.progress_payload);
  pyro_environment_info* result = nullptr;
  pyro_status s = pyro::capi::guard(err, __func__, [&] {
    pyro::PullOptions po;
    po.force = o.force != 0;
    po.progress = progress.handler();
    result = new_info(client->impl.pull_environment(name, po));
  });
  if (s == PYRO_OK && progress.failed()) {
    pyro_environment_info_free(result);
    return pyro::capi::user_failure(err, __func__);
  }
  *out = result;
  return s;
}

pyro_status pyro_inspect_environment(pyro_environment_info** out, pyro_client* client,
                                     const char* name, pyro_error** err) {
  pyro::capi::reset(err);
  PYRO_CHECK_ARG(out);
  *out = nullptr;
  PYRO_CHECK_ARG(client);
  PYRO_CHECK_ARG(name);
  return pyro::capi::guard(err, __func__,
                           [&] { *out = new_info(client->impl.inspect_environment(name)); });
}

pyro_status pyro_prune_environments(pyro_prune_result** out, pyro_client* client,
                                    const pyro_prune_options* opts, pyro_error** err) {
  pyro::capi::reset(err);
  PYRO_CHECK_ARG(out);
  *out = nullptr;
  PYRO_CHECK_ARG(client);
  if (opts && opts->version != PYRO_PRUNE_OPTIONS_VERSION) {
    return pyro::capi::bad_version(err, __func__, "pyro_prune_options", opts->version,
                                   PYRO_PRUNE_OPTIONS_VERSION);
  }
  const pyro_prune_options& o = opts ? *opts : kPruneDefaults;
  return pyro::capi::guard(err, __func__, [&] {
    pyro::PruneOptions po;
    po.all = o.all != 0;
    po.dry_run = o.dry_run != 0;
    *out = new pyro_prune_result{client->impl.prune_environments(po)};
  });
}

pyro_status pyro_import_environment(pyro_environment_info** out, pyro_client* client,
                                    const char* name, const char* source,
                                    const pyro_import_options* opts, pyro_error** err) {
  pyro::capi::reset(err);
  PYRO_CHECK_ARG(out);
  *out = nullptr;
  PYRO_CHECK_ARG(client);
  PYRO_CHECK_ARG(name);
  PYRO_CHECK_ARG(source);
  if (opts && !known_version(opts->version, PYRO_IMPORT_OPTIONS_VERSION)) {
    return pyro::capi::bad_version(err, __func__, "pyro_import_options", opts->version,
                                   PYRO_IMPORT_OPTIONS_VERSION);
  }
  const pyro_import_options& o = opts ? *opts : kImportDefaults;
  pyro::capi::ProgressAdapter progress = progress_of(o.version, o.progress, o.progress_payload);
  pyro_environment_info* result = nullptr;
  pyro_status s = pyro::capi::guard(err, __func__, [&] {
    pyro::ImportOptions io;
    io.force = o.force != 0;
    io.progress = progress.handler();
    result = new_info(client->impl.import_environment(name, source, io));
  });
  if (s == PYRO_OK && progress.failed()) {
    pyro_environment_info_free(result);
    return pyro::capi::user_failure(err, __func__);
  }
  *out = result;
  return s;
}

}  // extern "C"

// C ABI: VM options, results and operations (include/pyro/c/vm.h).
#include <cstddef>
#include <cstring>
#include <string>

#include "capi_internal.hpp"
#include "output_c.hpp"

namespace {

constexpr pyro_vm_options kVmDefaults = PYRO_VM_OPTIONS_INIT;
constexpr pyro_exec_options kExecDefaults = PYRO_EXEC_OPTIONS_INIT;

// Fills `out` from optional C options; returns non-OK for an unknown version.
pyro_status to_vm_options(const pyro_vm_options* in, pyro::VmOptions& out, const char* function,
                          pyro_error** err) noexcept {
  if (!in) return PYRO_OK;
  if (in->version != PYRO_VM_OPTIONS_VERSION) {
    return pyro::capi::bad_version(err, function, "pyro_vm_options", in->version,
                                   PYRO_VM_OPTIONS_VERSION);
  }
  out.vcpu_count = in->vcpu_count;
  out.mem_mib = in->mem_mib;
  out.network = in->network != 0;
  return PYRO_OK;
}

}  // namespace

namespace pyro::capi {

pyro_status check_exec_version(const pyro_exec_options* in, const char* function,
                               pyro_error** err) noexcept {
  // Version 1 (0.2) ends before the live-output fields.
  if (in && in->version != 1 && in->version != PYRO_EXEC_OPTIONS_VERSION) {
    return pyro::capi::bad_version(err, function, "pyro_exec_options", in->version,
                                   PYRO_EXEC_OPTIONS_VERSION);
  }
  return PYRO_OK;
}

std::map<std::string, std::string> to_env_map(const char* const* entries, const char* what) {
  std::map<std::string, std::string> out;
  if (entries == nullptr) return out;
  for (size_t i = 0; entries[i] != nullptr; ++i) {
    const char* entry = entries[i];
    const char* eq = std::strchr(entry, '=');
    if (eq == nullptr || eq == entry) {
      throw pyro::Error(pyro::ErrorCode::kInvalidArgument,
                        std::string("parse `") + what + "[" + std::to_string(i) +
                            "]`: expected \"KEY=VALUE\", got \"" + entry + "\"");
    }
    out[std::string(entry, eq)] = std::string(eq + 1);
  }
  return out;
}

// May throw pyro::Error (malformed env entry) or bad_alloc; called inside guard().
pyro::ExecOptions to_exec_options(const pyro_exec_options* in) {
  pyro::ExecOptions out;
  if (!in) return out;
  out.timeout_seconds = in->timeout_seconds;
  out.max_output_bytes = in->max_output_bytes;
  if (in->cwd) out.cwd = in->cwd;
  out.env = to_env_map(in->env, "pyro_exec_options.env");
  out.secret_env = to_env_map(in->secret_env, "pyro_exec_options.secret_env");
  return out;
}

}  // namespace pyro::capi

using pyro::capi::check_exec_version;
using pyro::capi::to_exec_options;

extern "C" {

/* ---- options ---- */

pyro_status pyro_vm_options_init(pyro_vm_options* opts, unsigned int version) {
  if (opts == nullptr || version != PYRO_VM_OPTIONS_VERSION) return PYRO_E_INVALID_ARGUMENT;
  *opts = kVmDefaults;
  return PYRO_OK;
}

pyro_status pyro_exec_options_init(pyro_exec_options* opts, unsigned int version) {
  if (opts == nullptr) return PYRO_E_INVALID_ARGUMENT;
  if (version == 1) {
    // A version 1 struct is shorter: fill only its fields.
    std::memcpy(static_cast<void*>(opts), &kExecDefaults, offsetof(pyro_exec_options, on_output));
    opts->version = 1;
    return PYRO_OK;
  }
  if (version != PYRO_EXEC_OPTIONS_VERSION) return PYRO_E_INVALID_ARGUMENT;
  *opts = kExecDefaults;
  return PYRO_OK;
}

/* ---- cancel handles ---- */

pyro_status pyro_cancel_new(pyro_cancel** out, pyro_error** err) {
  pyro::capi::reset(err);
  PYRO_CHECK_ARG(out);
  *out = nullptr;
  return pyro::capi::guard(err, __func__, [&] { *out = new pyro_cancel{}; });
}

void pyro_cancel_cancel(pyro_cancel* cancel) {
  if (cancel) cancel->token.cancel();
}

int pyro_cancel_is_cancelled(const pyro_cancel* cancel) { return cancel && cancel->token.cancelled(); }

void pyro_cancel_free(pyro_cancel* cancel) { delete cancel; }

/* ---- exec result ---- */

int pyro_exec_result_exit_code(const pyro_exec_result* res) { return res ? res->value.exit_code : 0; }
int pyro_exec_result_signal(const pyro_exec_result* res) { return res ? res->value.signal : 0; }
int pyro_exec_result_timed_out(const pyro_exec_result* res) { return res && res->value.timed_out; }
int pyro_exec_result_cancelled(const pyro_exec_result* res) { return res && res->value.cancelled; }

const char* pyro_exec_result_stdout(const pyro_exec_result* res, size_t* len_out) {
  if (len_out) *len_out = res ? res->value.stdout_data.size() : 0;
  return res ? res->value.stdout_data.c_str() : nullptr;
}

const char* pyro_exec_result_stderr(const pyro_exec_result* res, size_t* len_out) {
  if (len_out) *len_out = res ? res->value.stderr_data.size() : 0;
  return res ? res->value.stderr_data.c_str() : nullptr;
}

int pyro_exec_result_stdout_truncated(const pyro_exec_result* res) {
  return res && res->value.stdout_truncated;
}
int pyro_exec_result_stderr_truncated(const pyro_exec_result* res) {
  return res && res->value.stderr_truncated;
}
uint64_t pyro_exec_result_duration_ms(const pyro_exec_result* res) {
  return res ? res->value.duration_ms : 0;
}
const char* pyro_exec_result_vm_id(const pyro_exec_result* res) {
  return res ? res->value.vm_id.c_str() : nullptr;
}
void pyro_exec_result_free(pyro_exec_result* res) { delete res; }

/* ---- vm info ---- */

const char* pyro_vm_state_str(pyro_vm_state state) {
  const long long raw = pyro::capi::enum_value(state);
  if (raw < PYRO_VM_CREATED || raw > PYRO_VM_CRASHED) return "unknown";
  return pyro::vm_state_name(static_cast<pyro::VmState>(state));
}

const char* pyro_vm_info_vm_id(const pyro_vm_info* i) { return i ? i->value.vm_id.c_str() : nullptr; }
const char* pyro_vm_info_environment(const pyro_vm_info* i) {
  return i ? i->value.environment.c_str() : nullptr;
}
pyro_vm_state pyro_vm_info_state(const pyro_vm_info* i) {
  return i ? static_cast<pyro_vm_state>(i->value.state) : PYRO_VM_CREATED;
}
uint32_t pyro_vm_info_vcpu_count(const pyro_vm_info* i) { return i ? i->value.vcpu_count : 0; }
uint32_t pyro_vm_info_mem_mib(const pyro_vm_info* i) { return i ? i->value.mem_mib : 0; }
int pyro_vm_info_network(const pyro_vm_info* i) { return i && i->value.network; }
const char* pyro_vm_info_accelerator(const pyro_vm_info* i) {
  return i ? i->value.accelerator.c_str() : nullptr;
}
int64_t pyro_vm_info_pid(const pyro_vm_info* i) { return i ? i->value.pid : 0; }
const char* pyro_vm_info_created_at(const pyro_vm_info* i) {
  return i ? i->value.created_at.c_str() : nullptr;
}
uint64_t pyro_vm_info_boot_ms(const pyro_vm_info* i) { return i ? i->value.boot_ms : 0; }
void pyro_vm_info_free(pyro_vm_info* i) { delete i; }

size_t pyro_vm_list_count(const pyro_vm_list* l) { return l ? l->items.size() : 0; }
const pyro_vm_info* pyro_vm_list_get(const pyro_vm_list* l, size_t index) {
  return l && index < l->items.size() ? &l->items[index] : nullptr;
}
void pyro_vm_list_free(pyro_vm_list* l) { delete l; }

/* ---- operations ---- */

pyro_status pyro_run_in_vm(pyro_exec_result** out, pyro_client* client, const char* environment,
                           const char* command, const pyro_vm_options* vm,
                           const pyro_exec_options* exec, pyro_error** err) {
  pyro::capi::reset(err);
  PYRO_CHECK_ARG(out);
  *out = nullptr;
  PYRO_CHECK_ARG(client);
  PYRO_CHECK_ARG(environment);
  PYRO_CHECK_ARG(command);
  pyro::VmOptions vm_options;
  if (pyro_status s = to_vm_options(vm, vm_options, __func__, err); s != PYRO_OK) return s;
  if (pyro_status s = check_exec_version(exec, __func__, err); s != PYRO_OK) return s;
  pyro::capi::OutputAdapter output = pyro::capi::output_adapter(exec);
  return output.finish(pyro::capi::guard(err, __func__, [&] {
    auto exec_options = to_exec_options(exec);
    output.apply(exec_options.on_output, exec_options.cancel);
    auto r = client->impl.run_in_vm(environment, command, vm_options, exec_options);
    *out = new pyro_exec_result{std::move(r)};
  }), err, __func__);
}

pyro_status pyro_create_vm(pyro_vm_info** out, pyro_client* client, const char* environment,
                           const pyro_vm_options* vm, pyro_error** err) {
  pyro::capi::reset(err);
  PYRO_CHECK_ARG(out);
  *out = nullptr;
  PYRO_CHECK_ARG(client);
  PYRO_CHECK_ARG(environment);
  pyro::VmOptions vm_options;
  if (pyro_status s = to_vm_options(vm, vm_options, __func__, err); s != PYRO_OK) return s;
  return pyro::capi::guard(err, __func__, [&] {
    *out = new pyro_vm_info{client->impl.create_vm(environment, vm_options)};
  });
}

pyro_status pyro_start_vm(pyro_vm_info** out, pyro_client* client, const char* vm_id,
                          pyro_error** err) {
  pyro::capi::reset(err);
  PYRO_CHECK_ARG(out);
  *out = nullptr;
  PYRO_CHECK_ARG(client);
  PYRO_CHECK_ARG(vm_id);
  return pyro::capi::guard(err, __func__,
                           [&] { *out = new pyro_vm_info{client->impl.start_vm(vm_id)}; });
}

pyro_status pyro_exec_vm(pyro_exec_result** out, pyro_client* client, const char* vm_id,
                         const char* command, const pyro_exec_options* exec, pyro_error** err) {
  pyro::capi::reset(err);
  PYRO_CHECK_ARG(out);
  *out = nullptr;
  PYRO_CHECK_ARG(client);
  PYRO_CHECK_ARG(vm_id);
  PYRO_CHECK_ARG(command);
  if (pyro_status s = check_exec_version(exec, __func__, err); s != PYRO_OK) return s;
  pyro::capi::OutputAdapter output = pyro::capi::output_adapter(exec);
  return output.finish(pyro::capi::guard(err, __func__, [&] {
    auto exec_options = to_exec_options(exec);
    output.apply(exec_options.on_output, exec_options.cancel);
    *out = new pyro_exec_result{client->impl.exec_vm(vm_id, command, exec_options)};
  }), err, __func__);
}

pyro_status pyro_status_vm(pyro_vm_info** out, pyro_client* client, const char* vm_id,
                           pyro_error** err) {
  pyro::capi::reset(err);
  PYRO_CHECK_ARG(out);
  *out = nullptr;
  PYRO_CHECK_ARG(client);
  PYRO_CHECK_ARG(vm_id);
  return pyro::capi::guard(err, __func__,
                           [&] { *out = new pyro_vm_info{client->impl.status_vm(vm_id)}; });
}

pyro_status pyro_list_vms(pyro_vm_list** out, pyro_client* client, pyro_error** err) {
  pyro::capi::reset(err);
  PYRO_CHECK_ARG(out);
  *out = nullptr;
  PYRO_CHECK_ARG(client);
  return pyro::capi::guard(err, __func__, [&] {
    auto list = std::make_unique<pyro_vm_list>();
    for (auto& v : client->impl.list_vms()) list->items.push_back(pyro_vm_info{std::move(v)});
    *out = list.release();
  });
}

pyro_status pyro_delete_vm(pyro_client* client, const char* vm_id, pyro_error** err) {
  pyro::capi::reset(err);
  PYRO_CHECK_ARG(client);
  PYRO_CHECK_ARG(vm_id);
  return pyro::capi::guard(err, __func__, [&] { client->impl.delete_vm(vm_id); });
}

}  // extern "C"

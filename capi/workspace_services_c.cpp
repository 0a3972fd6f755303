// C ABI: services and shells of a workspace and their options
// (include/pyro/c/workspace_services.h).
#include <string>

#include "workspace_services_results.hpp"

namespace {

constexpr pyro_service_options kServiceDefaults = PYRO_SERVICE_OPTIONS_INIT;
constexpr pyro_service_stop_options kStopDefaults = PYRO_SERVICE_STOP_OPTIONS_INIT;
constexpr pyro_output_read_options kReadDefaults = PYRO_OUTPUT_READ_OPTIONS_INIT;
constexpr pyro_shell_options kShellDefaults = PYRO_SHELL_OPTIONS_INIT;

std::string str_or_empty(const char* s) { return s ? std::string(s) : std::string(); }

// The converters below run inside guard(): env parsing and copies may throw.

pyro::ServiceOptions to_service_options(const pyro_service_options* in) {
  pyro::ServiceOptions out;
  if (!in) return out;
  out.cwd = str_or_empty(in->cwd);
  out.env = pyro::capi::to_env_map(in->env, "pyro_service_options.env");
  out.secret_env = pyro::capi::to_env_map(in->secret_env, "pyro_service_options.secret_env");
  out.readiness.type = str_or_empty(in->readiness_type);
  out.readiness.path = str_or_empty(in->readiness_path);
  out.readiness.port = in->readiness_port;
  out.readiness.url = str_or_empty(in->readiness_url);
  out.readiness.command = str_or_empty(in->readiness_command);
  out.readiness.timeout_seconds = in->readiness_timeout_seconds;
  out.readiness.interval_ms = in->readiness_interval_ms;
  if (in->published_port_count > 0) {
    if (in->published_ports == nullptr) {
      throw pyro::Error(pyro::ErrorCode::kInvalidArgument,
                        "read `pyro_service_options`: published_port_count is " +
                            std::to_string(in->published_port_count) +
                            " but published_ports is NULL");
    }
    out.published_ports.assign(in->published_ports, in->published_ports + in->published_port_count);
  }
  if (in->restart && in->restart[0] != '\0') out.restart = in->restart;
  out.max_restarts = in->max_restarts;
  return out;
}

pyro::ServiceStopOptions to_stop_options(const pyro_service_stop_options* in) {
  pyro::ServiceStopOptions out;
  if (!in) return out;
  if (in->signal && in->signal[0] != '\0') out.signal = in->signal;
  out.grace_seconds = in->grace_seconds;
  return out;
}

pyro::OutputReadOptions to_read_options(const pyro_output_read_options* in) {
  pyro::OutputReadOptions out;
  if (!in) return out;
  out.cursor = in->cursor;
  out.tail_lines = in->tail_lines;
  out.max_bytes = in->max_bytes;
  out.wait_seconds = in->wait_seconds;
  return out;
}

pyro::ShellOptions to_shell_options(const pyro_shell_options* in) {
  pyro::ShellOptions out;
  if (!in) return out;
  out.cwd = str_or_empty(in->cwd);
  out.env = pyro::capi::to_env_map(in->env, "pyro_shell_options.env");
  out.secret_env = pyro::capi::to_env_map(in->secret_env, "pyro_shell_options.secret_env");
  out.cols = in->cols;
  out.rows = in->rows;
  return out;
}

// Fills *opts with `defaults` when the version is the one this library knows.
template <class T>
pyro_status init_options(T* opts, unsigned int version, unsigned int expected, const T& defaults) {
  if (opts == nullptr || version != expected) return PYRO_E_INVALID_ARGUMENT;
  *opts = defaults;
  return PYRO_OK;
}

}  // namespace

extern "C" {

/* ---- options ---- */

pyro_status pyro_service_options_init(pyro_service_options* opts, unsigned int version) {
  return init_options(opts, version, PYRO_SERVICE_OPTIONS_VERSION, kServiceDefaults);
}

pyro_status pyro_service_stop_options_init(pyro_service_stop_options* opts, unsigned int version) {
  return init_options(opts, version, PYRO_SERVICE_STOP_OPTIONS_VERSION, kStopDefaults);
}

pyro_status pyro_output_read_options_init(pyro_output_read_options* opts, unsigned int version) {
  return init_options(opts, version, PYRO_OUTPUT_READ_OPTIONS_VERSION, kReadDefaults);
}

pyro_status pyro_shell_options_init(pyro_shell_options* opts, unsigned int version) {
  return init_options(opts, version, PYRO_SHELL_OPTIONS_VERSION, kShellDefaults);
}

/* ---- services ---- */

pyro_status pyro_start_service(pyro_service_info** out, pyro_client* client, const char* workspace,
                               const char* name, const char* command,
                               const pyro_service_options* opts, pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  PYRO_CHECK_ARG(name);
  PYRO_CHECK_ARG(command);
  PYRO_CHECK_VERSION(opts, PYRO_SERVICE_OPTIONS_VERSION, "pyro_service_options");
  return pyro::capi::guard(err, __func__, [&] {
    auto options = to_service_options(opts);
    *out = pyro::capi::new_service_info(client->impl.start_service(workspace, name, command, options));
  });
}

pyro_status pyro_list_services(pyro_service_list** out, pyro_client* client, const char* workspace,
                               pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  return pyro::capi::guard(err, __func__, [&] {
    *out = pyro::capi::new_service_list(client->impl.list_services(workspace));
  });
}

pyro_status pyro_status_service(pyro_service_info** out, pyro_client* client, const char* workspace,
                                const char* name, pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  PYRO_CHECK_ARG(name);
  return pyro::capi::guard(err, __func__, [&] {
    *out = pyro::capi::new_service_info(client->impl.status_service(workspace, name));
  });
}

pyro_status pyro_logs_service(pyro_service_logs** out, pyro_client* client, const char* workspace,
                              const char* name, const pyro_output_read_options* opts,
                              pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  PYRO_CHECK_ARG(name);
  PYRO_CHECK_VERSION(opts, PYRO_OUTPUT_READ_OPTIONS_VERSION, "pyro_output_read_options");
  return pyro::capi::guard(err, __func__, [&] {
    *out = pyro::capi::new_service_logs(client->impl.logs_service(workspace, name, to_read_options(opts)));
  });
}

pyro_status pyro_stop_service(pyro_service_info** out, pyro_client* client, const char* workspace,
                              const char* name, const pyro_service_stop_options* opts,
                              pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  PYRO_CHECK_ARG(name);
  PYRO_CHECK_VERSION(opts, PYRO_SERVICE_STOP_OPTIONS_VERSION, "pyro_service_stop_options");
  return pyro::capi::guard(err, __func__, [&] {
    *out = pyro::capi::new_service_info(client->impl.stop_service(workspace, name, to_stop_options(opts)));
  });
}

/* ---- shells ---- */

pyro_status pyro_open_shell(pyro_shell_info** out, pyro_client* client, const char* workspace,
                            const pyro_shell_options* opts, pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  PYRO_CHECK_VERSION(opts, PYRO_SHELL_OPTIONS_VERSION, "pyro_shell_options");
  return pyro::capi::guard(err, __func__, [&] {
    auto options = to_shell_options(opts);
    *out = pyro::capi::new_shell_info(client->impl.open_shell(workspace, options));
  });
}

pyro_status pyro_write_shell(pyro_shell_info** out, pyro_client* client, const char* workspace,
                             const char* shell_id, const char* input, pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  PYRO_CHECK_ARG(shell_id);
  PYRO_CHECK_ARG(input);
  return pyro::capi::guard(err, __func__, [&] {
    *out = pyro::capi::new_shell_info(client->impl.write_shell(workspace, shell_id, input));
  });
}

pyro_status pyro_read_shell(pyro_shell_output** out, pyro_client* client, const char* workspace,
                            const char* shell_id, const pyro_output_read_options* opts,
                            pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  PYRO_CHECK_ARG(shell_id);
  PYRO_CHECK_VERSION(opts, PYRO_OUTPUT_READ_OPTIONS_VERSION, "pyro_output_read_options");
  return pyro::capi::guard(err, __func__, [&] {
    *out = pyro::capi::new_shell_output(client->impl.read_shell(workspace, shell_id, to_read_options(opts)));
  });
}

pyro_status pyro_resize_shell(pyro_shell_info** out, pyro_client* client, const char* workspace,
                              const char* shell_id, uint32_t cols, uint32_t rows, pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  PYRO_CHECK_ARG(shell_id);
  return pyro::capi::guard(err, __func__, [&] {
    *out = pyro::capi::new_shell_info(client->impl.resize_shell(workspace, shell_id, cols, rows));
  });
}

pyro_status pyro_signal_shell(pyro_shell_info** out, pyro_client* client, const char* workspace,
                              const char* shell_id, const char* signal, pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(workspace);
  PYRO_CHECK_ARG(shell_id);
  return pyro::capi::guard(err, __func__, [&] {
    std::string sig = signal && signal[0] != '\0' ? signal : "INT";
    *out = pyro::capi::new_shell_info(client->impl.signal_shell(workspace, shell_id, sig));
  });
}

pyro_status pyro_close_shell(pyro_client* client, const char* workspace, const char* shell_id,
                             pyro_error** err) {
  pyro::capi::reset(err);
  PYRO_CHECK_ARG(client);
  PYRO_CHECK_ARG(workspace);
  PYRO_CHECK_ARG(shell_id);
  return pyro::capi::guard(err, __func__, [&] { client->impl.close_shell(workspace, shell_id); });
}

}  // extern "C"

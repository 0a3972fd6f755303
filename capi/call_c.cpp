// C ABI: operations by name (include/pyro/c/call.h). JSON text passes through
// unchanged: the core validates, runs and serialises (lib/ops).
#include <cstdlib>
#include <cstring>
#include <string>

#include "capi_internal.hpp"
#include "output_c.hpp"
#include "progress_c.hpp"

namespace {

// A malloc'd copy, so pyro_string_free is free() whatever allocator C++ uses.
char* c_copy(const std::string& text) {
  char* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (copy == nullptr) throw std::bad_alloc();
  std::memcpy(copy, text.c_str(), text.size() + 1);
  return copy;
}

}  // namespace

extern "C" {

pyro_status pyro_call_json(char** out, pyro_client* client, const char* operation,
                           const char* arguments_json, pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(operation);
  return pyro::capi::guard(err, __func__, [&] {
    *out = c_copy(client->impl.call(operation, arguments_json ? arguments_json : ""));
  });
}

pyro_status pyro_call_json_ex(char** out, pyro_client* client, const char* operation, const char* arguments_json,
                              const pyro_call_options* opts, pyro_error** err) {
  PYRO_BEGIN_OUT_CALL();
  PYRO_CHECK_ARG(operation);
  // Version 1 (the first 0.3 snapshots) ends before the live-output fields.
  if (opts && opts->version != 1 && opts->version != PYRO_CALL_OPTIONS_VERSION) {
    return pyro::capi::bad_version(err, __func__, "pyro_call_options", opts->version, PYRO_CALL_OPTIONS_VERSION);
  }
  pyro::capi::ProgressAdapter progress(opts ? opts->progress : nullptr, opts ? opts->progress_payload : nullptr);
  const bool v2 = opts && opts->version >= 2;
  pyro::capi::OutputAdapter output(v2 ? opts->on_output : nullptr, v2 ? opts->output_payload : nullptr,
                                   v2 ? opts->cancel : nullptr);
  char* result = nullptr;
  pyro_status s = output.finish(pyro::capi::guard(err, __func__, [&] {
    pyro::CallOptions options;
    options.progress = progress.handler();
    output.apply(options.on_output, options.cancel);
    result = c_copy(client->impl.call(operation, arguments_json ? arguments_json : "", options));
  }), err, __func__);
  if (s == PYRO_OK && progress.failed()) {
    std::free(result);
    return pyro::capi::user_failure(err, __func__);
  }
  *out = result;
  return s;
}

pyro_status pyro_tool_definitions_json(char** out, const char* profile, pyro_error** err) {
  pyro::capi::reset(err);
  PYRO_CHECK_ARG(out);
  *out = nullptr;
  PYRO_CHECK_ARG(profile);
  return pyro::capi::guard(err, __func__, [&] { *out = c_copy(pyro::tool_definitions_json(profile)); });
}

pyro_status pyro_operation_table_json(char** out, pyro_error** err) {
  pyro::capi::reset(err);
  PYRO_CHECK_ARG(out);
  *out = nullptr;
  return pyro::capi::guard(err, __func__, [&] { *out = c_copy(pyro::operation_table_json()); });
}

void pyro_string_free(char* s) { std::free(s); }

}  // extern "C"

// C ABI: the error object and status names (include/pyro/c/error.h).
#include <cstdio>

#include "capi_internal.hpp"

namespace {
// Handed out when even the error object cannot be allocated; never deleted.
pyro_error* oom_error() noexcept {
  static pyro_error e{PYRO_E_RESOURCE_EXHAUSTED, "allocate error object: out of memory"};
  return &e;
}
}  // namespace

namespace pyro::capi {

pyro_status set_error(pyro_error** err, pyro_status code, const char* message) noexcept {
  if (!err) return code;
  try {
    *err = new pyro_error{code, message ? message : ""};
  } catch (...) {
    *err = oom_error();
  }
  return code;
}

pyro_status null_argument(pyro_error** err, const char* function, const char* param) noexcept {
  char buf[256];
  std::snprintf(buf, sizeof buf, "call `%s`: argument `%s` must not be NULL", function, param);
  return set_error(err, PYRO_E_INVALID_ARGUMENT, buf);
}

pyro_status bad_version(pyro_error** err, const char* function, const char* struct_name,
                        unsigned int version, unsigned int expected) noexcept {
  char buf[256];
  std::snprintf(buf, sizeof buf, "call `%s`: unknown `%s` version %u (this library knows %u)",
                function, struct_name, version, expected);
  return set_error(err, PYRO_E_INVALID_ARGUMENT, buf);
}

}  // namespace pyro::capi

extern "C" {

pyro_status pyro_error_code(const pyro_error* err) { return err ? err->code : PYRO_OK; }

const char* pyro_error_message(const pyro_error* err) { return err ? err->message.c_str() : ""; }

void pyro_error_free(pyro_error* err) {
  if (err != oom_error()) delete err;
}

const char* pyro_status_str(pyro_status status) {
  if (status > 0) return "unknown";
  if (status < -static_cast<int>(pyro::ErrorCode::kUser)) return "unknown";
  return pyro::error_code_name(static_cast<pyro::ErrorCode>(-status));
}

}  // extern "C"

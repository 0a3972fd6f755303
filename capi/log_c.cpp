// C ABI: log callback (include/pyro/c/log.h).
#include <string>

#include "capi_internal.hpp"

extern "C" pyro_status pyro_log_set(pyro_log_level level, pyro_log_cb cb, void* payload) {
  if (level < PYRO_LOG_OFF || level > PYRO_LOG_TRACE) return PYRO_E_INVALID_ARGUMENT;
  return pyro::capi::guard(nullptr, __func__, [&] {
    if (cb == nullptr || level == PYRO_LOG_OFF) {
      pyro::set_log_handler(pyro::LogLevel::kOff, {});
      return;
    }
    pyro::set_log_handler(static_cast<pyro::LogLevel>(level),
                          [cb, payload](pyro::LogLevel l, std::string_view msg) {
                            // The C callback wants a NUL-terminated string.
                            std::string text(msg);
                            cb(static_cast<pyro_log_level>(l), text.c_str(), payload);
                          });
  });
}

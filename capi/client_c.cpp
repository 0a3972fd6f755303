// C ABI: client handle (include/pyro/c/client.h).
#include "capi_internal.hpp"

namespace {
constexpr pyro_client_options kDefaults = PYRO_CLIENT_OPTIONS_INIT;
}

extern "C" {

pyro_status pyro_client_options_init(pyro_client_options* opts, unsigned int version) {
  if (opts == nullptr || version != PYRO_CLIENT_OPTIONS_VERSION) return PYRO_E_INVALID_ARGUMENT;
  *opts = kDefaults;
  return PYRO_OK;
}

pyro_status pyro_client_new(pyro_client** out, const pyro_client_options* opts, pyro_error** err) {
  pyro::capi::reset(err);
  PYRO_CHECK_ARG(out);
  *out = nullptr;
  if (opts && opts->version != PYRO_CLIENT_OPTIONS_VERSION) {
    return pyro::capi::bad_version(err, __func__, "pyro_client_options", opts->version,
                                   PYRO_CLIENT_OPTIONS_VERSION);
  }
  return pyro::capi::guard(err, __func__, [&] {
    pyro::ClientOptions o;
    if (opts) {
      if (opts->home) o.home = opts->home;
      if (opts->accelerator) o.accelerator = opts->accelerator;
      if (opts->qemu_binary) o.qemu_binary = opts->qemu_binary;
      o.boot_timeout_seconds = opts->boot_timeout_seconds;
    }
    *out = new pyro_client(std::move(o));
  });
}

const char* pyro_client_home(const pyro_client* client) {
  return client ? client->impl.home().c_str() : nullptr;
}

void pyro_client_free(pyro_client* client) {
  // ~Pyro stops VMs; it must not throw, but guard anyway so nothing crosses.
  pyro::capi::guard(nullptr, __func__, [&] { delete client; });
}

}  // extern "C"

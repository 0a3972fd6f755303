// C ABI: client handle (include/pyro/c/client.h).
#include <cstddef>
#include <cstring>

#include "capi_internal.hpp"

namespace {

constexpr pyro_client_options kDefaults = PYRO_CLIENT_OPTIONS_INIT;

// Bytes a caller's struct has for each known version: a version 1 struct ends
// where the version 2 fields begin, so reading or writing past it would overrun.
constexpr size_t kVersion1Size = offsetof(pyro_client_options, guest_dir);

bool known_version(unsigned int version) {
  return version == 1 || version == PYRO_CLIENT_OPTIONS_VERSION;
}

}  // namespace

extern "C" {

pyro_status pyro_client_options_init(pyro_client_options* opts, unsigned int version) {
  if (opts == nullptr || !known_version(version)) return PYRO_E_INVALID_ARGUMENT;
  if (version == 1) {
    std::memcpy(opts, &kDefaults, kVersion1Size);
  } else {
    *opts = kDefaults;
  }
  opts->version = version;
  return PYRO_OK;
}

pyro_status pyro_client_new(pyro_client** out, const pyro_client_options* opts, pyro_error** err) {
  pyro::capi::reset(err);
  PYRO_CHECK_ARG(out);
  *out = nullptr;
  if (opts && !known_version(opts->version)) {
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
      if (opts->version >= 2) {
        if (opts->guest_dir) o.guest_dir = opts->guest_dir;
        o.auto_pull = opts->auto_pull != 0;
        if (opts->snapshots) o.snapshots = opts->snapshots;
      }
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

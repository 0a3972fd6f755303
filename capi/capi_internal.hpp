// capi_internal.hpp — handle structs and the exception boundary shared by the
// capi/*_c.cpp shims. The shims only convert types and errors: all behaviour
// lives in the C++ API (include/pyro/).
#pragma once

#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#include "pyro/c/pyro.h"
#include "pyro/pyro.hpp"

namespace pyro::capi {

/// The integer a C caller passed as an enum. C may pass any value, but reading one
/// outside the C++ enum's range as that enum is undefined behaviour (UBSan's
/// `enum` check), so its bytes are copied instead.
template <class Enum>
long long enum_value(const Enum& value) {
  std::underlying_type_t<Enum> raw;
  std::memcpy(&raw, &value, sizeof raw);
  return static_cast<long long>(raw);
}

}  // namespace pyro::capi

struct pyro_error {
  pyro_status code;
  std::string message;
};

struct pyro_client {
  explicit pyro_client(pyro::ClientOptions o) : impl(std::move(o)) {}
  pyro::Pyro impl;
};

struct pyro_exec_result {
  pyro::ExecResult value;
};

struct pyro_vm_info {
  pyro::VmInfo value;
};

struct pyro_vm_list {
  std::vector<pyro_vm_info> items;
};

struct pyro_environment_info {
  pyro::EnvironmentInfo value;
};

struct pyro_environment_list {
  std::vector<pyro_environment_info> items;
};

struct pyro_prune_result {
  pyro::PruneResult value;
};

struct pyro_doctor_report {
  pyro::DoctorReport value;
};

namespace pyro::capi {

/// Stores a new error in *err (when err is non-NULL) and returns `code`.
/// Never throws: if the error object cannot be allocated, *err gets a static
/// out-of-memory error that pyro_error_free() knows not to delete.
pyro_status set_error(pyro_error** err, pyro_status code, const char* message) noexcept;

/// NULL-argument failure naming the parameter and the function.
pyro_status null_argument(pyro_error** err, const char* function, const char* param) noexcept;

/// Unknown options version, naming the struct.
pyro_status bad_version(pyro_error** err, const char* function, const char* struct_name,
                        unsigned int version, unsigned int expected) noexcept;

/// Clears *err on entry so callers may test it after any call.
inline void reset(pyro_error** err) noexcept {
  if (err) *err = nullptr;
}

/// Runs `body` and converts every exception into a status: pyro::Error keeps
/// its code, bad_alloc is RESOURCE_EXHAUSTED, anything else INTERNAL. Nothing
/// escapes, so no exception crosses extern "C".
template <class F>
pyro_status guard(pyro_error** err, const char* function, F&& body) noexcept {
  try {
    body();
    return PYRO_OK;
  } catch (const pyro::Error& e) {
    int code = static_cast<int>(e.code());
    return set_error(err, code > 0 ? -code : PYRO_E_INTERNAL, e.what());
  } catch (const std::bad_alloc&) {
    return set_error(err, PYRO_E_RESOURCE_EXHAUSTED, "allocate memory: out of memory");
  } catch (const std::exception& e) {
    std::string msg;
    try {
      msg = std::string("call `") + function + "`: unexpected error: " + e.what();
    } catch (...) {
    }
    return set_error(err, PYRO_E_INTERNAL, msg.empty() ? "unexpected error" : msg.c_str());
  } catch (...) {
    return set_error(err, PYRO_E_INTERNAL, "unexpected error: unknown exception");
  }
}

/// Unknown pyro_exec_options version (NULL is fine: defaults).
pyro_status check_exec_version(const pyro_exec_options* in, const char* function,
                               pyro_error** err) noexcept;

/// A NULL-terminated array of "KEY=VALUE" strings (NULL: none) as a map; the
/// first '=' splits. Throws pyro::Error(kInvalidArgument) naming `what` (e.g.
/// "pyro_exec_options.env") for an entry without '=' or with an empty key.
std::map<std::string, std::string> to_env_map(const char* const* entries, const char* what);

/// C exec options to C++ (NULL: defaults). Throws pyro::Error for a malformed
/// env entry, so call it inside guard().
pyro::ExecOptions to_exec_options(const pyro_exec_options* in);

/// NULL-safe borrowed C string of a std::string field.
inline const char* c_str_or_null(const std::string* s) noexcept { return s ? s->c_str() : nullptr; }

}  // namespace pyro::capi

#define PYRO_CHECK_ARG(arg)                                            \
  do {                                                                 \
    if ((arg) == nullptr) return pyro::capi::null_argument(err, __func__, #arg); \
  } while (0)

// The prologue of an operation that returns through `out`: clears *err, checks
// `out` and sets *out to NULL (so the caller may free it whatever happens),
// then checks `client`. Expects parameters named out, client and err.
#define PYRO_BEGIN_OUT_CALL()      \
  do {                             \
    pyro::capi::reset(err);        \
    PYRO_CHECK_ARG(out);           \
    *out = nullptr;                \
    PYRO_CHECK_ARG(client);        \
  } while (0)

// Returns the bad-version status when the options struct `opts` (NULL is fine:
// defaults) has another version than `expected`; `struct_name` names it.
#define PYRO_CHECK_VERSION(opts, expected, struct_name)                                      \
  do {                                                                                       \
    if ((opts) && (opts)->version != (expected)) {                                           \
      return pyro::capi::bad_version(err, __func__, struct_name, (opts)->version, expected); \
    }                                                                                        \
  } while (0)

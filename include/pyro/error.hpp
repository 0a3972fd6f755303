// pyro/error.hpp — the canonical error codes and the exception the C++ API throws.
//
// Every surface (C++, C, Python, guest protocol, MCP) uses the same codes; their
// wire names ("not_found", ...) are listed in spec/error_codes.json.
//
//   try {
//     pyro.run_in_vm("busybox", "true");
//   } catch (const pyro::Error& e) {
//     if (e.code() == pyro::ErrorCode::kNotFound) { /* environment missing */ }
//   }
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "pyro/export.hpp"

namespace pyro {
inline namespace v1 {

/// Canonical error codes. The numeric values equal the negated C `PYRO_E_*`
/// values, so conversions are a sign flip; never renumber, only append.
enum class ErrorCode : int {
  kOk = 0,
  kInvalidArgument = 1,
  kNotFound = 2,
  kAlreadyExists = 3,
  kFailedPrecondition = 4,
  kDeadlineExceeded = 5,
  kCancelled = 6,
  kUnavailable = 7,
  kPermissionDenied = 8,
  kResourceExhausted = 9,
  kUnimplemented = 10,
  kInternal = 11,
  kAgentProtocol = 12,  ///< the guest agent sent something the host cannot accept
  kVmCrashed = 13,      ///< the VMM process exited or the guest died unexpectedly
  kUser = 14,           ///< a user callback failed (C API only)
};

/// Wire name of a code, e.g. "invalid_argument". Never null.
PYRO_API const char* error_code_name(ErrorCode code) noexcept;

/// Parses a wire name; unknown names map to kInternal.
PYRO_API ErrorCode error_code_from_name(std::string_view name) noexcept;

/// The one exception type the C++ API throws for pyro failures.
/// Messages follow "<action> <object>: <cause>", lowercase, no trailing period.
class PYRO_API Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace v1
}  // namespace pyro

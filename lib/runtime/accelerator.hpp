// Choosing the accelerator: KVM when a test boot works, TCG otherwise. Whether
// /dev/kvm exists is not enough (on PVM hosts it exists but cannot run stock
// kernels), so "auto" asks the backend for obstacles and then test-boots.
#pragma once

#include <functional>
#include <string>

#include "backend/backend.hpp"

namespace pyro::detail {

struct AcceleratorChoice {
  Accelerator accelerator = Accelerator::kTcg;
  std::string reason;  ///< why this one, for logs and `pyro doctor`
};

/// `requested` is "auto", "kvm" or "tcg". `test_boot` boots a throwaway VM with
/// the given accelerator and throws pyro::Error when it does not come up.
/// Throws kInvalidArgument for an unknown name and kUnavailable when "kvm" is
/// requested but cannot work.
AcceleratorChoice choose_accelerator(const std::string& requested, Backend& backend,
                                     const std::function<void(Accelerator)>& test_boot);

}  // namespace pyro::detail

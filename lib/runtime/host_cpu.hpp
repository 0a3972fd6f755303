// The host CPU a KVM guest sees: with `-cpu host` the guest kernel adopts the host's
// CPUID features at boot (and patches itself for them), so a snapshot taken on one CPU
// must not be restored on another. Snapshot templates carry this signature in their key.
#pragma once

#include <string>
#include <string_view>

#include "backend/backend.hpp"

namespace pyro::detail {

/// sha256 (hex) of the first processor's `vendor_id`, `cpu family`, `model`,
/// `stepping`, `microcode` and `flags` lines of /proc/cpuinfo text; "" when it has none.
std::string cpu_signature(std::string_view cpuinfo);

/// The template key's CPU field for `accel`: the host's signature under KVM; "" under
/// TCG, whose emulated CPU is fixed by the QEMU version (already in the key).
std::string template_cpu_signature(Accelerator accel);

}  // namespace pyro::detail

#include "runtime/accelerator.hpp"

#include <fmt/format.h>

#include "pyro/error.hpp"
#include "util/logging.hpp"

namespace pyro::detail {

AcceleratorChoice choose_accelerator(const std::string& requested, Backend& backend,
                                     const std::function<void(Accelerator)>& test_boot) {
  if (requested == "tcg") return {Accelerator::kTcg, "requested explicitly"};
  if (requested != "kvm" && requested != "auto") {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("choose accelerator: unknown `{}` (expected auto, kvm or tcg)", requested));
  }
  std::string obstacle = backend.accelerator_obstacle(Accelerator::kKvm);
  if (requested == "kvm") {
    if (!obstacle.empty()) {
      throw Error(ErrorCode::kUnavailable, fmt::format("use accelerator kvm: {}", obstacle));
    }
    return {Accelerator::kKvm, "requested explicitly"};
  }
  if (!obstacle.empty()) return {Accelerator::kTcg, "kvm unusable: " + obstacle};
  try {
    test_boot(Accelerator::kKvm);
    return {Accelerator::kKvm, "a test boot with kvm succeeded"};
  } catch (const Error& e) {
    log(LogLevel::kWarn, "a test boot with kvm failed, falling back to tcg: {}", e.what());
    return {Accelerator::kTcg, fmt::format("a test boot with kvm failed: {}", e.what())};
  }
}

}  // namespace pyro::detail

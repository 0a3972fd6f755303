// Backend-independent pieces of lib/backend/backend.hpp.
#include "backend/backend.hpp"

namespace pyro::detail {

const char* accelerator_name(Accelerator accel) noexcept {
  switch (accel) {
    case Accelerator::kKvm:
      return "kvm";
    case Accelerator::kTcg:
      return "tcg";
  }
  return "tcg";
}

}  // namespace pyro::detail

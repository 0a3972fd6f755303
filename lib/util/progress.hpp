// Reporting progress of long work through an optional ProgressHandler.
//
//   report_progress(options.progress, "copy seed", rel_path, bytes_done, bytes_total, "bytes");
#pragma once

#include <cstdint>
#include <string_view>

#include "pyro/types.hpp"

namespace pyro::detail {

/// Calls `handler` (when set) with one Progress event.
inline void report_progress(const ProgressHandler& handler, std::string_view stage, std::string_view message,
                            uint64_t done = 0, uint64_t total = 0, std::string_view unit = {}) {
  if (handler) handler(Progress{.stage = stage, .message = message, .done = done, .total = total, .unit = unit});
}

}  // namespace pyro::detail

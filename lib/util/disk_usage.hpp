// Allocated size of a file or tree (st_blocks, so sparse images count what they use).
#pragma once

#include <cstdint>
#include <string>

namespace pyro::detail {
uint64_t allocated_bytes(const std::string& path) noexcept;
}  // namespace pyro::detail

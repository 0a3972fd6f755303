// Reading (the end of) small log files, e.g. a VMM's stderr or a guest console.
#pragma once

#include <cstddef>
#include <string>

namespace pyro::detail {

/// The last `max_bytes` of the file at `path`; "" when it is missing or unreadable.
std::string read_file_tail(const std::string& path, size_t max_bytes);

}  // namespace pyro::detail

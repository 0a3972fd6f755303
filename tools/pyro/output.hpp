// Byte-exact output, host input and small formatting helpers of the CLI.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "pyro/types.hpp"

namespace pyro_cli {

/// Writes `bytes` unchanged (binary-safe, nothing added) and flushes.
/// Throws std::system_error when the stream cannot be written.
void write_bytes(std::FILE* stream, std::string_view bytes);

/// The whole content of host file `path`, or of stdin when `path` is "-".
/// Throws pyro::Error(kNotFound / kInvalidArgument) naming `what` and the path.
std::string read_host_input(const std::string& path, std::string_view what);

/// A byte count for people: "812 B", "3.4 MiB", "1.2 GiB".
std::string format_size(uint64_t bytes);

}  // namespace pyro_cli

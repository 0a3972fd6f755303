// Internal logging: formats with fmt and forwards to the embedder's handler.
// Formatting is skipped entirely when the level is filtered out.
#pragma once

#include <fmt/format.h>

#include <string_view>

#include "pyro/log.hpp"

namespace pyro::detail {

bool log_enabled(LogLevel level) noexcept;
void log_message(LogLevel level, std::string_view message) noexcept;

template <typename... Args>
void log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  if (!log_enabled(level)) return;
  log_message(level, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace pyro::detail

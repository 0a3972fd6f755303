// pyro/log.hpp — the library is silent unless the embedder installs a log handler.
//
//   pyro::set_log_handler(pyro::LogLevel::kInfo,
//       [](pyro::LogLevel, std::string_view msg) { std::cerr << msg << "\n"; });
#pragma once

#include <functional>
#include <string_view>

#include "pyro/export.hpp"

namespace pyro {
inline namespace v1 {

enum class LogLevel : int { kOff = 0, kError = 1, kWarn = 2, kInfo = 3, kDebug = 4, kTrace = 5 };

using LogHandler = std::function<void(LogLevel level, std::string_view message)>;

/// Installs a process-wide handler receiving messages at `level` or more severe.
/// Pass an empty handler (or kOff) to silence the library again. Thread-safe;
/// the handler may be called from any thread and must not call back into pyro.
PYRO_API void set_log_handler(LogLevel level, LogHandler handler);

/// Name of a level ("error", "warn", ...).
PYRO_API const char* log_level_name(LogLevel level) noexcept;

}  // namespace v1
}  // namespace pyro

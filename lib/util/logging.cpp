// The process-wide log handler. Silent until set_log_handler is called; a
// throwing handler must not break the library, so its exceptions are swallowed.
#include "util/logging.hpp"

#include <atomic>
#include <memory>
#include <mutex>

namespace pyro {
inline namespace v1 {
namespace {
std::mutex g_mutex;
std::shared_ptr<const LogHandler> g_handler;
std::atomic<int> g_level{static_cast<int>(LogLevel::kOff)};
}  // namespace

void set_log_handler(LogLevel level, LogHandler handler) {
  std::lock_guard lock(g_mutex);
  g_handler = handler ? std::make_shared<const LogHandler>(std::move(handler)) : nullptr;
  g_level = g_handler ? static_cast<int>(level) : static_cast<int>(LogLevel::kOff);
}

}  // namespace v1

namespace detail {

bool log_enabled(LogLevel level) noexcept {
  return level != LogLevel::kOff && static_cast<int>(level) <= g_level.load(std::memory_order_relaxed);
}

void log_message(LogLevel level, std::string_view message) noexcept {
  std::shared_ptr<const LogHandler> handler;
  {
    std::lock_guard lock(g_mutex);
    handler = g_handler;
  }
  if (!handler || !log_enabled(level)) return;
  try {
    (*handler)(level, message);
  } catch (...) {
  }
}

}  // namespace detail
}  // namespace pyro

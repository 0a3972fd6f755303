#include "workspace/stream_redactor.hpp"

#include <algorithm>

namespace pyro::detail {

std::string StreamRedactor::feed(std::string_view chunk) {
  if (redactor_.empty()) return std::string(chunk);
  window_.append(chunk);
  RedactedRead read = redactor_.redact_window(window_, window_offset_, cursor_, /*finished=*/false);
  cursor_ = read.next_cursor;
  // Keep the lookbehind before the cursor: an occurrence that began there and was
  // already reported must be recognised, so its tail is not shown.
  const int64_t keep_from =
      std::max(window_offset_, cursor_ - static_cast<int64_t>(redactor_.lookbehind()));
  window_.erase(0, static_cast<size_t>(keep_from - window_offset_));
  window_offset_ = keep_from;
  return std::move(read.output);
}

std::string StreamRedactor::finish(bool truncated) {
  if (redactor_.empty() || truncated) return {};
  RedactedRead read = redactor_.redact_window(window_, window_offset_, cursor_, /*finished=*/true);
  cursor_ = read.next_cursor;
  window_.clear();
  window_offset_ = cursor_;
  return std::move(read.output);
}

}  // namespace pyro::detail

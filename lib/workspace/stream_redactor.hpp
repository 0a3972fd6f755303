// Redaction of one output stream that arrives in chunks (live exec output): a
// secret split across two chunks is still found, because the end of a chunk that
// could be the start of a secret is held back until the next chunk (or the end)
// shows what it is. Built on Redactor::redact_window.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "workspace/redaction.hpp"

namespace pyro::detail {

class StreamRedactor {
 public:
  /// `redactor` must outlive this object.
  explicit StreamRedactor(const Redactor& redactor) : redactor_(redactor) {}

  /// The redacted bytes that can be shown now (possibly none). The raw bytes kept
  /// between calls are at most twice the longest secret.
  std::string feed(std::string_view chunk);

  /// What was held back, at the end of the stream. `truncated`: the stream was cut
  /// short, so a held-back start of a secret is dropped (as redact_truncated does).
  std::string finish(bool truncated);

 private:
  const Redactor& redactor_;
  std::string window_;        // raw bytes from window_offset_ on
  int64_t window_offset_ = 0;
  int64_t cursor_ = 0;        // raw offset of the first byte not emitted yet
};

}  // namespace pyro::detail

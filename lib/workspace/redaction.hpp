// Redaction of secret values in everything a workspace returns (docs/workspaces.md,
// "Secrets"). The guest agent returns raw bytes; only the host knows the values.
//
// Whole texts (exec output, error messages) are redacted with redact(). Output read
// from a cursor (service logs, shell output) may cut a secret in two, so it is
// redacted over a window that starts up to lookbehind() bytes before the cursor,
// and the end of the window that could be the start of a secret is held back until
// more output (or the end of output) shows what it is.
//
// Output that went through a terminal (shells, and the guest's serial console)
// is not the bytes the program wrote: the line discipline's output processing
// (OPOST|ONLCR, on by default) turns every "\n" into "\r\n". Each secret is
// therefore also matched in that form, so a multi-line value (a PEM key) is found
// in shell output too. The other default output flags change nothing (no tab
// expansion, no case mapping, no CR mapping). Input echo (^X for control bytes,
// "\r" read as "\n") only shows what the caller typed, so it is not matched.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pyro::detail {

inline constexpr std::string_view kRedacted = "[REDACTED]";

/// What a window read from a cursor gives after redaction.
struct RedactedRead {
  std::string output;        ///< bytes from the cursor on, each secret replaced by kRedacted
  int64_t next_cursor = 0;   ///< raw offset where emission stopped: the next read starts there
  bool held_back = false;    ///< bytes before the window's end were kept for the next read
};

class Redactor {
 public:
  Redactor() = default;
  /// `secrets`: the values to hide; empty values are ignored. Each is also hidden
  /// in its terminal form ("\n" as "\r\n").
  explicit Redactor(std::vector<std::string> secrets);

  bool empty() const noexcept { return secrets_.empty(); }
  /// How many bytes before a cursor a read must include: the longest secret - 1.
  uint64_t lookbehind() const noexcept;

  /// `text` with every occurrence of every secret replaced (overlapping and
  /// adjacent occurrences become one kRedacted).
  std::string redact(std::string_view text) const;

  /// `text` that was cut short (a truncated stream): redacted, and a suffix that
  /// could be the start of a secret dropped.
  std::string redact_truncated(std::string_view text) const;

  /// An excerpt cut from a longer text at both ends (the tail of a console log):
  /// a prefix that could be the end of a secret and a suffix that could be the
  /// start of one are dropped (all of it when it lies inside one), the rest redacted.
  std::string redact_excerpt(std::string_view text) const;

  /// Redacts the bytes of `window` (raw output starting at offset `window_offset`)
  /// from offset `cursor` on. An occurrence starting before the cursor was reported
  /// by an earlier read: its remaining bytes are dropped. Unless `finished`, the
  /// longest suffix that is a proper prefix of a secret is held back. The same
  /// window and cursor always give the same result.
  RedactedRead redact_window(std::string_view window, int64_t window_offset, int64_t cursor,
                             bool finished) const;

 private:
  struct Run {
    size_t begin;
    size_t end;
  };
  /// Marked runs of `text` (every occurrence of every secret, merged), sorted.
  std::vector<Run> runs(std::string_view text) const;
  /// Start of the longest suffix of `text` beginning at or after `from` that is a
  /// proper prefix of a secret (so it may still become one); text.size() when none.
  size_t prefix_suffix_start(std::string_view text, size_t from) const;
  /// Length of the longest prefix of `text` that is a proper suffix of a secret.
  size_t suffix_prefix_length(std::string_view text) const;

  std::vector<std::string> secrets_;
};

}  // namespace pyro::detail

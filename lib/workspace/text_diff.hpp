// Line diffs of two texts, printed exactly as GNU `diff -u` prints them, for
// `diff_workspace`. Pure functions: no I/O, no state.
//
//   std::string d = pyro::detail::unified_diff(before, after, "a/x.txt", "b/x.txt");
//   if (d.empty()) { /* same content */ }
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pyro::detail {

/// One line of a text: its bytes without the '\n' (a '\r' stays part of the
/// text, so CRLF files round-trip), and whether a '\n' ended it. Only the last
/// line of a text can lack one.
struct TextLine {
  std::string_view text;
  bool has_newline = true;
  bool operator==(const TextLine&) const = default;
};

/// Splits `text` into lines; views point into `text`. "" has no lines.
std::vector<TextLine> split_lines(std::string_view text);

/// The unified diff from `old_text` to `new_text` with `context` lines of
/// context, byte-identical in format to `diff -u` given the labels (no
/// timestamps). "" when the texts are equal. The edit script is a shortest one
/// (Myers' O(ND)); when the two texts differ in so many lines that the search
/// would use too much memory, one hunk replaces everything instead.
std::string unified_diff(std::string_view old_text, std::string_view new_text,
                         const std::string& old_label, const std::string& new_label,
                         int context = 3);

/// True when `data` looks like a binary file: a NUL byte in its first 8000
/// bytes (git's test) or bytes that are not valid UTF-8.
bool looks_binary(std::string_view data);

}  // namespace pyro::detail

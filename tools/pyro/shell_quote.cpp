#include "shell_quote.hpp"

#include <algorithm>
#include <array>

namespace pyro_cli {
namespace {

// No `=`: a bare `A=b` first word would become an assignment, not a command.
bool is_safe_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-' || c == '.' || c == '/' || c == ',' || c == ':' || c == '+' ||
         c == '@' || c == '%';
}

// Reserved words change the parse when bare (`if`, `{` ...), so quote them.
bool is_reserved_word(std::string_view word) {
  static constexpr std::array<std::string_view, 17> kReserved = {
      "case", "do", "done", "elif", "else", "esac", "fi", "for", "function",
      "if", "in", "select", "then", "until", "while", "time", "coproc"};
  return std::find(kReserved.begin(), kReserved.end(), word) != kReserved.end();
}

}  // namespace

std::string shell_quote(std::string_view word) {
  if (!word.empty() && std::all_of(word.begin(), word.end(), is_safe_char) &&
      !is_reserved_word(word)) {
    return std::string(word);
  }
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

std::string shell_join(std::span<const std::string> words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += shell_quote(w);
  }
  return out;
}

}  // namespace pyro_cli

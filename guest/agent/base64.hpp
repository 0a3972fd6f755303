// Standard base64 (RFC 4648 §4) decoding for the agent, which links nothing but the
// standard library and nlohmann/json. Header-only so tests/unit can check it directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pyro::agent {

/// Decodes standard base64. Padding is optional, but when present it must complete
/// the last quantum; whitespace and characters outside the alphabet are rejected,
/// and so are non-zero bits left over in the last character (so every byte string
/// has exactly one accepted encoding, the canonical one, plus its unpadded form).
/// Returns nullopt on malformed input.
inline std::optional<std::string> base64_decode(std::string_view text) {
  size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  std::string_view body = text.substr(0, text.size() - pad);
  if (body.size() % 4 == 1) return std::nullopt;           // 6 bits cannot make a byte
  if (pad > 0 && (body.size() + pad) % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(body.size() / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : body) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else return std::nullopt;  // includes '=' inside the text
    acc = ((acc << 6) | static_cast<uint32_t>(v)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

}  // namespace pyro::agent

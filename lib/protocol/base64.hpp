// Standard base64 (RFC 4648 §4), as the protocol carries binary inside JSON
// (fs_apply's `data`, restore's `seed`). Shared by the host and the guest agent.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pyro::protocol {

/// Canonical encoding, with padding.
std::string base64_encode(std::string_view data);

/// Decodes standard base64. Padding is optional, but when present it must complete
/// the last quantum; whitespace and characters outside the alphabet are rejected,
/// and so are non-zero bits left over in the last character (so every byte string
/// has exactly one accepted encoding, the canonical one, plus its unpadded form).
/// Returns nullopt on malformed input.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace pyro::protocol

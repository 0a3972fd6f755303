// Framing of the agent protocol (docs/agent-protocol.md), shared by host and guest.
// Depends on the C++ standard library only; message helpers live in message.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pyro::protocol {

inline constexpr uint16_t kProtocolMajor = 1;
inline constexpr uint16_t kProtocolMinor = 5;

inline constexpr size_t kHeaderSize = 10;
inline constexpr uint32_t kMaxPayload = 4u << 20;  // 4 MiB
inline constexpr size_t kMaxDataChunk = 64u << 10;  // data frames carry at most this

enum class FrameType : uint8_t { kRequest = 1, kResponse = 2, kData = 3, kEvent = 4 };

inline constexpr uint8_t kFlagEndStream = 0x01;

enum class Channel : uint8_t { kStdin = 0, kStdout = 1, kStderr = 2 };

struct Frame {
  uint32_t stream = 0;
  FrameType type = FrameType::kRequest;
  uint8_t flags = 0;
  std::string payload;  // JSON text, or for data frames: channel byte + raw bytes
};

/// Serialises a frame (header + payload). Throws std::length_error when the
/// payload exceeds kMaxPayload.
std::string encode_frame(const Frame& frame);

/// Builds a data frame for `channel` carrying `bytes` (at most kMaxDataChunk).
Frame make_data_frame(uint32_t stream, Channel channel, std::string_view bytes);

/// Splits a data frame's payload into channel and bytes; nullopt if malformed.
std::optional<std::pair<Channel, std::string_view>> split_data(const Frame& frame);

/// Incremental decoder: feed bytes as they arrive, take whole frames out.
/// After an error the decoder stays failed; error() says why (for messages such as
/// "frame length 5000000 exceeds the 4194304-byte maximum").
class FrameDecoder {
 public:
  /// Appends bytes. Returns false once the stream is malformed.
  bool feed(std::string_view bytes);
  /// Pops the next complete frame, if any.
  std::optional<Frame> next();
  bool failed() const noexcept { return !error_.empty(); }
  const std::string& error() const noexcept { return error_; }
  /// Bytes buffered but not yet forming a whole frame.
  size_t buffered() const noexcept { return buffer_.size() - offset_; }

 private:
  void parse();
  std::string buffer_;
  size_t offset_ = 0;
  std::vector<Frame> ready_;
  size_t ready_pos_ = 0;
  std::string error_;
};

}  // namespace pyro::protocol

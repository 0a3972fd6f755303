// Framing of the agent protocol: 10-byte header, then the payload.
#include "protocol/frame.hpp"

#include <stdexcept>
#include <string>

namespace pyro::protocol {
namespace {

void put_u32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>((v >> 24) & 0xff));
  out.push_back(static_cast<char>((v >> 16) & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

uint32_t get_u32(const char* p) {
  auto b = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

bool known_type(uint8_t t) { return t >= 1 && t <= 4; }

}  // namespace

std::string encode_frame(const Frame& frame) {
  if (frame.payload.size() > kMaxPayload) {
    throw std::length_error("frame payload of " + std::to_string(frame.payload.size()) +
                            " bytes exceeds the " + std::to_string(kMaxPayload) + "-byte maximum");
  }
  std::string out;
  out.reserve(kHeaderSize + frame.payload.size());
  put_u32(out, static_cast<uint32_t>(frame.payload.size()));
  put_u32(out, frame.stream);
  out.push_back(static_cast<char>(frame.type));
  out.push_back(static_cast<char>(frame.flags));
  out += frame.payload;
  return out;
}

Frame make_data_frame(uint32_t stream, Channel channel, std::string_view bytes) {
  if (bytes.size() > kMaxDataChunk) throw std::length_error("data chunk exceeds 64 KiB");
  Frame f;
  f.stream = stream;
  f.type = FrameType::kData;
  f.payload.reserve(bytes.size() + 1);
  f.payload.push_back(static_cast<char>(channel));
  f.payload.append(bytes);
  return f;
}

std::optional<std::pair<Channel, std::string_view>> split_data(const Frame& frame) {
  if (frame.type != FrameType::kData || frame.payload.empty()) return std::nullopt;
  auto ch = static_cast<uint8_t>(frame.payload[0]);
  if (ch > 2) return std::nullopt;
  return std::make_pair(static_cast<Channel>(ch), std::string_view(frame.payload).substr(1));
}

bool FrameDecoder::feed(std::string_view bytes) {
  if (failed()) return false;
  // Drop consumed bytes before growing, so the buffer stays bounded by one frame.
  if (offset_ > 0 && offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  } else if (offset_ > (1u << 20)) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  buffer_.append(bytes);
  parse();
  return !failed();
}

void FrameDecoder::parse() {
  while (buffer_.size() - offset_ >= kHeaderSize) {
    const char* h = buffer_.data() + offset_;
    uint32_t length = get_u32(h);
    if ((length >> 24) != 0 || length > kMaxPayload) {
      error_ = "frame length " + std::to_string(length) + " exceeds the " +
               std::to_string(kMaxPayload) + "-byte maximum";
      return;
    }
    auto type = static_cast<uint8_t>(h[8]);
    if (!known_type(type)) {
      error_ = "unknown frame type " + std::to_string(type);
      return;
    }
    if (buffer_.size() - offset_ < kHeaderSize + length) return;  // wait for more bytes
    Frame f;
    f.stream = get_u32(h + 4);
    f.type = static_cast<FrameType>(type);
    f.flags = static_cast<uint8_t>(h[9]);
    f.payload.assign(h + kHeaderSize, length);
    ready_.push_back(std::move(f));
    offset_ += kHeaderSize + length;
  }
}

std::optional<Frame> FrameDecoder::next() {
  if (ready_pos_ >= ready_.size()) {
    ready_.clear();
    ready_pos_ = 0;
    return std::nullopt;
  }
  Frame f = std::move(ready_[ready_pos_++]);
  if (ready_pos_ == ready_.size()) {
    ready_.clear();
    ready_pos_ = 0;
  }
  return f;
}

}  // namespace pyro::protocol

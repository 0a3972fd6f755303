// Fuzz target: the agent protocol's frame decoder and message parsing
// (lib/protocol), which read every byte a hostile guest sends to the host.
// Properties checked beyond "no crash, no sanitizer report":
//  - feeding the bytes whole or in small pieces yields the same frames;
//  - every decoded frame re-encodes to bytes that decode to the same frame;
//  - parsing failures are ProtocolError only.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/frame.hpp"
#include "protocol/message.hpp"

namespace proto = pyro::protocol;

namespace {

bool same(const proto::Frame& a, const proto::Frame& b) {
  return a.stream == b.stream && a.type == b.type && a.flags == b.flags && a.payload == b.payload;
}

std::vector<proto::Frame> decode(std::string_view bytes, size_t piece) {
  proto::FrameDecoder decoder;
  std::vector<proto::Frame> frames;
  for (size_t at = 0; at < bytes.size(); at += piece) {
    decoder.feed(bytes.substr(at, piece));
    while (auto f = decoder.next()) frames.push_back(std::move(*f));
    if (decoder.buffered() > proto::kHeaderSize + proto::kMaxPayload + piece) std::abort();
  }
  return frames;
}

void parse_all(const proto::Frame& frame) {
  (void)proto::split_data(frame);
  try {
    (void)proto::parse_payload(frame);
  } catch (const proto::ProtocolError&) {
  }
  try {
    (void)proto::parse_request(frame);
  } catch (const proto::ProtocolError&) {
  }
  try {
    proto::Response r = proto::parse_response(frame);
    // What the host does with a reply: dump the result or keep the message.
    (void)proto::dump_json(r.result);
  } catch (const proto::ProtocolError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the piece size of the second decoding.
  const size_t piece = static_cast<size_t>(data[0] % 13) + 1;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  const std::vector<proto::Frame> whole = decode(bytes, bytes.empty() ? 1 : bytes.size());
  const std::vector<proto::Frame> pieces = decode(bytes, piece);
  if (whole.size() != pieces.size()) std::abort();
  for (size_t i = 0; i < whole.size(); ++i) {
    if (!same(whole[i], pieces[i])) std::abort();
    const std::vector<proto::Frame> again = decode(proto::encode_frame(whole[i]), 1 << 20);
    if (again.size() != 1 || !same(again[0], whole[i])) std::abort();
    parse_all(whole[i]);
  }
  return 0;
}

// Framing (lib/protocol/frame.hpp) and JSON message helpers (lib/protocol/message.hpp).
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "protocol/frame.hpp"
#include "protocol/message.hpp"
#include "pyro/version_macros.h"

namespace proto = pyro::protocol;
using proto::Frame;
using proto::FrameDecoder;
using proto::FrameType;

namespace {

std::string header(uint32_t length, uint32_t stream, uint8_t type, uint8_t flags) {
  std::string h;
  for (uint32_t v : {length, stream}) {
    for (int shift = 24; shift >= 0; shift -= 8) h.push_back(static_cast<char>((v >> shift) & 0xff));
  }
  h.push_back(static_cast<char>(type));
  h.push_back(static_cast<char>(flags));
  return h;
}

Frame frame(uint32_t stream, FrameType type, uint8_t flags, std::string payload) {
  Frame f;
  f.stream = stream;
  f.type = type;
  f.flags = flags;
  f.payload = std::move(payload);
  return f;
}

void check_same(const Frame& a, const Frame& b) {
  CHECK(a.stream == b.stream);
  CHECK(a.type == b.type);
  CHECK(a.flags == b.flags);
  CHECK(a.payload == b.payload);
}

}  // namespace

TEST_CASE("frame: encode writes the documented header") {
  std::string bytes = proto::encode_frame(frame(0x01020304, FrameType::kResponse, 1, "{}"));
  CHECK(bytes == header(2, 0x01020304, 2, 1) + "{}");
}

TEST_CASE("frame: encode/decode round trip") {
  Frame f = frame(7, FrameType::kRequest, 0, R"({"method":"ping","params":{}})");
  FrameDecoder d;
  REQUIRE(d.feed(proto::encode_frame(f)));
  auto got = d.next();
  REQUIRE(got);
  check_same(*got, f);
  CHECK_FALSE(d.next());
  CHECK(d.buffered() == 0);
}

TEST_CASE("frame: byte-by-byte feeding") {
  Frame f = frame(3, FrameType::kEvent, 0, R"({"event":"hello"})");
  std::string bytes = proto::encode_frame(f);
  FrameDecoder d;
  for (size_t i = 0; i + 1 < bytes.size(); ++i) {
    REQUIRE(d.feed(bytes.substr(i, 1)));
    CHECK_FALSE(d.next());
  }
  REQUIRE(d.feed(bytes.substr(bytes.size() - 1)));
  auto got = d.next();
  REQUIRE(got);
  check_same(*got, f);
}

TEST_CASE("frame: several frames in one feed, in order") {
  Frame a = frame(1, FrameType::kRequest, 0, "{}");
  Frame b = proto::make_data_frame(1, proto::Channel::kStdout, "out");
  Frame c = frame(1, FrameType::kResponse, proto::kFlagEndStream, "");
  std::string bytes = proto::encode_frame(a) + proto::encode_frame(b) + proto::encode_frame(c);
  FrameDecoder d;
  // Split so that a partial fourth frame is left buffered.
  REQUIRE(d.feed(bytes + header(5, 9, 3, 0) + "ab"));
  for (const Frame* want : {&a, &b, &c}) {
    auto got = d.next();
    REQUIRE(got);
    check_same(*got, *want);
  }
  CHECK_FALSE(d.next());
  CHECK(d.buffered() == proto::kHeaderSize + 2);
  REQUIRE(d.feed("cde"));
  auto last = d.next();
  REQUIRE(last);
  CHECK(last->stream == 9);
  CHECK(last->payload == "abcde");
}

TEST_CASE("frame: exactly 4 MiB payload is accepted") {
  Frame f = frame(5, FrameType::kData, 0, std::string(proto::kMaxPayload, 'x'));
  std::string bytes = proto::encode_frame(f);
  CHECK(bytes.size() == proto::kHeaderSize + proto::kMaxPayload);
  FrameDecoder d;
  REQUIRE(d.feed(bytes));
  auto got = d.next();
  REQUIRE(got);
  CHECK(got->payload.size() == proto::kMaxPayload);
}

TEST_CASE("frame: 4 MiB + 1 length is rejected from the header alone") {
  FrameDecoder d;
  CHECK_FALSE(d.feed(header(proto::kMaxPayload + 1, 1, 3, 0)));
  CHECK(d.failed());
  CHECK_FALSE(d.error().empty());
  CHECK_FALSE(d.next());
}

TEST_CASE("frame: non-zero reserved top length byte is rejected") {
  FrameDecoder d;
  CHECK_FALSE(d.feed(header(0x01000000, 1, 1, 0)));
  CHECK(d.failed());
}

TEST_CASE("frame: unknown types are rejected") {
  for (uint8_t type : {uint8_t{0}, uint8_t{5}, uint8_t{255}}) {
    FrameDecoder d;
    CHECK_FALSE(d.feed(header(0, 1, type, 0)));
    CHECK(d.failed());
  }
}

TEST_CASE("frame: reserved flag bits are ignored by the reader") {
  FrameDecoder d;
  REQUIRE(d.feed(header(0, 1, 2, 0xff)));
  auto got = d.next();
  REQUIRE(got);
  CHECK(got->flags == 0xff);
}

TEST_CASE("frame: decoder stays failed after an error") {
  FrameDecoder d;
  Frame ok = frame(1, FrameType::kRequest, 0, "{}");
  CHECK_FALSE(d.feed(header(0, 1, 9, 0)));
  std::string error = d.error();
  CHECK_FALSE(d.feed(proto::encode_frame(ok)));
  CHECK(d.failed());
  CHECK(d.error() == error);
  CHECK_FALSE(d.next());
}

TEST_CASE("frame: data frames carry all 256 byte values") {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  Frame f = proto::make_data_frame(11, proto::Channel::kStderr, bytes);
  FrameDecoder d;
  REQUIRE(d.feed(proto::encode_frame(f)));
  auto got = d.next();
  REQUIRE(got);
  CHECK(got->type == FrameType::kData);
  auto split = proto::split_data(*got);
  REQUIRE(split);
  CHECK(split->first == proto::Channel::kStderr);
  CHECK(split->second == bytes);
}

TEST_CASE("frame: split_data rejects malformed data frames") {
  CHECK_FALSE(proto::split_data(frame(1, FrameType::kData, 0, "")));
  CHECK_FALSE(proto::split_data(frame(1, FrameType::kData, 0, std::string(1, '\x03'))));
  CHECK_FALSE(proto::split_data(frame(1, FrameType::kEvent, 0, std::string(1, '\x01'))));
}

TEST_CASE("frame: oversized payloads and data chunks throw") {
  CHECK_THROWS_AS(proto::encode_frame(frame(1, FrameType::kData, 0, std::string(proto::kMaxPayload + 1, 'x'))),
                  std::length_error);
  CHECK_THROWS_AS(proto::make_data_frame(1, proto::Channel::kStdout, std::string(proto::kMaxDataChunk + 1, 'x')),
                  std::length_error);
  CHECK_NOTHROW(proto::make_data_frame(1, proto::Channel::kStdout, std::string(proto::kMaxDataChunk, 'x')));
}

TEST_CASE("message: request, response, error and event payloads") {
  Frame req = proto::make_request(3, "exec", {{"command", "echo hi"}});
  CHECK(req.stream == 3);
  CHECK(req.type == FrameType::kRequest);
  CHECK(req.flags == 0);
  auto r = proto::parse_request(req);
  CHECK(r.method == "exec");
  CHECK(r.params["command"] == "echo hi");

  Frame no_params = proto::make_request(5, "ping", nullptr);
  CHECK(proto::parse_payload(no_params)["params"] == nlohmann::json::object());

  Frame resp = proto::make_response(3, {{"exit_code", 0}});
  CHECK(resp.type == FrameType::kResponse);
  CHECK(resp.flags == proto::kFlagEndStream);
  auto ok = proto::parse_response(resp);
  CHECK(ok.ok);
  CHECK(ok.result["exit_code"] == 0);

  Frame err = proto::make_error_response(7, "not_found", "cwd `/x`: no such file");
  CHECK(err.flags == proto::kFlagEndStream);
  auto bad = proto::parse_response(err);
  CHECK_FALSE(bad.ok);
  CHECK(bad.error_code == "not_found");
  CHECK(bad.error_message == "cwd `/x`: no such file");

  Frame ev = proto::make_event("hello", {{"agent_version", PYRO_VERSION_STRING}});
  CHECK(ev.stream == 0);
  CHECK(ev.type == FrameType::kEvent);
  auto body = proto::parse_payload(ev);
  CHECK(body["event"] == "hello");
  CHECK(body["agent_version"] == PYRO_VERSION_STRING);
  CHECK_THROWS_AS(proto::make_event("x", nlohmann::json::array()), std::invalid_argument);
}

TEST_CASE("message: invalid payloads throw ProtocolError") {
  CHECK_THROWS_AS(proto::parse_payload(frame(1, FrameType::kRequest, 0, "{not json")), proto::ProtocolError);
  CHECK_THROWS_AS(proto::parse_payload(frame(1, FrameType::kRequest, 0, "[1,2]")), proto::ProtocolError);
  CHECK_THROWS_AS(proto::parse_payload(frame(1, FrameType::kRequest, 0, "")), proto::ProtocolError);
  CHECK_THROWS_AS(proto::parse_payload(frame(1, FrameType::kRequest, 0, "\"\xff\"")), proto::ProtocolError);
  CHECK_THROWS_AS(proto::parse_request(frame(1, FrameType::kRequest, 0, R"({"params":{}})")),
                  proto::ProtocolError);
  CHECK_THROWS_AS(proto::parse_request(frame(1, FrameType::kRequest, 0, R"({"method":"x","params":[]})")),
                  proto::ProtocolError);
  CHECK_THROWS_AS(proto::parse_response(frame(1, FrameType::kResponse, 0, R"({"error":{}})")),
                  proto::ProtocolError);
  CHECK_THROWS_AS(proto::parse_response(frame(1, FrameType::kEvent, 0, R"({"result":{}})")),
                  proto::ProtocolError);
  // ProtocolError is a std::runtime_error, so generic handlers catch it.
  CHECK_THROWS_AS(proto::parse_payload(frame(1, FrameType::kRequest, 0, "1")), std::runtime_error);
}

TEST_CASE("message: invalid UTF-8 is replaced, never thrown, when building") {
  Frame f = proto::make_error_response(1, "internal", std::string("bad \xff byte"));
  auto r = proto::parse_response(f);
  CHECK(r.error_code == "internal");
}

// Found through tests/fuzz/fuzz_agent_reply with a hand-made input (too large for its
// random inputs): a guest event nesting a million arrays
// parsed fine, then overflowed the host's stack when the host copied or logged it
// (nlohmann/json copies and serialises recursively).
TEST_CASE("message: payloads nesting deeper than kMaxJsonDepth are refused") {
  const size_t n = 1000000;
  const std::string deep = R"({"event":"log","x":)" + std::string(n, '[') + std::string(n, ']') + "}";
  CHECK_THROWS_AS(proto::parse_payload(frame(0, FrameType::kEvent, 0, deep)), proto::ProtocolError);
  const std::string deep_result =
      R"({"result":{"x":)" + std::string(proto::kMaxJsonDepth, '[') + std::string(proto::kMaxJsonDepth, ']') + "}}";
  CHECK_THROWS_AS(proto::parse_response(frame(1, FrameType::kResponse, 0, deep_result)), proto::ProtocolError);

  const int inner = proto::kMaxJsonDepth - 2;  // with the payload object and its field: within the limit
  const std::string ok = R"({"result":{"x":)" + std::string(static_cast<size_t>(inner), '[') +
                         std::string(static_cast<size_t>(inner), ']') + "}}";
  CHECK(proto::parse_response(frame(1, FrameType::kResponse, 0, ok)).ok);
}

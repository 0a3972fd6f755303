// The host's AgentConnection against a hostile guest: the bytes the guest writes
// come from a socketpair, no VM involved.
#include <doctest/doctest.h>
#include <sys/socket.h>

#include <chrono>
#include <string>
#include <thread>

#include "agent/agent_connection.hpp"
#include "protocol/frame.hpp"
#include "protocol/message.hpp"
#include "test_support.hpp"
#include "util/unique_fd.hpp"

namespace pyro::detail {
namespace {

// Writes `bytes` as the guest, then hangs up; send() without SIGPIPE, as the host
// may close its end first.
std::thread guest_writes(UniqueFd guest, std::string bytes) {
  return std::thread([fd = std::move(guest), bytes = std::move(bytes)] {
    size_t at = 0;
    while (at < bytes.size()) {
      const ssize_t n = ::send(fd.get(), bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
      if (n <= 0) break;
      at += static_cast<size_t>(n);
    }
  });
}

protocol::Frame event_frame(std::string payload) {
  protocol::Frame f;
  f.type = protocol::FrameType::kEvent;
  f.payload = std::move(payload);
  return f;
}

// Found through tests/fuzz/fuzz_agent_reply with a hand-made input (too large for its
// random inputs): a non-hello event nesting a million arrays
// overflowed the host's stack when it was logged (before the hello even arrived).
TEST_CASE("agent connection: a deeply nested event is agent_protocol, not a crash") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  const size_t n = 1000000;
  const std::string deep = R"({"event":"log","x":)" + std::string(n, '[') + std::string(n, ']') + "}";
  const std::string hello = protocol::dump_json({{"event", "hello"},
                                                 {"protocol", {{"major", protocol::kProtocolMajor},
                                                               {"minor", protocol::kProtocolMinor}}}});
  std::thread guest = guest_writes(UniqueFd(fds[1]), protocol::encode_frame(event_frame(deep)) +
                                                         protocol::encode_frame(event_frame(hello)));
  {
    AgentConnection conn{UniqueFd(fds[0]), DeathCheck{}};
    CHECK(test::code_of([&] { conn.wait_hello(deadline_after(std::chrono::seconds(30))); }) ==
          ErrorCode::kAgentProtocol);
  }
  guest.join();
}

// Found by tests/fuzz/fuzz_agent_reply (corpus: event-name-not-a-string): an event
// whose `event` field is not a string threw a raw nlohmann type_error out of
// wait_hello (std::terminate in the fuzzer). Such events are ignored like any other
// non-hello event; the real hello still counts. (A payload that is not an object
// at all is agent_protocol, from parse_payload.)
TEST_CASE("agent connection: events with an odd `event` field before the hello are ignored") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  const std::string hello = protocol::dump_json({{"event", "hello"},
                                                 {"protocol", {{"major", protocol::kProtocolMajor},
                                                               {"minor", protocol::kProtocolMinor}}}});
  std::string bytes;
  for (const char* odd : {R"({"event":["hello","ping"]})", R"({"event":7})", R"({"event":null})", R"({"event":{"hello":1}})"}) {
    bytes += protocol::encode_frame(event_frame(odd));
  }
  std::thread guest = guest_writes(UniqueFd(fds[1]), bytes + protocol::encode_frame(event_frame(hello)));
  {
    AgentConnection conn{UniqueFd(fds[0]), DeathCheck{}};
    CHECK(conn.wait_hello(deadline_after(std::chrono::seconds(30))).major == protocol::kProtocolMajor);
  }
  guest.join();
}

}  // namespace
}  // namespace pyro::detail

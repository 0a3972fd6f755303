// Live exec output and cancellation against a scripted, lying guest
// (lib/runtime/agent_exec, AgentConnection's cancel): the host relays only what it
// asked for, believes no cancel it did not send, reads the cancel's own response
// so the connection stays in step, and refuses garbage on the cancel's stream.
#include <doctest/doctest.h>

#include <atomic>
#include <string>

#include "fake_agent.hpp"
#include "runtime/agent_exec.hpp"
#include "test_support.hpp"

namespace pyro::detail {
namespace {

using nlohmann::json;
using test::code_of;
using test::FakeAgent;

const json kHelloWithCancel = {{"protocol", {{"major", protocol::kProtocolMajor}, {"minor", protocol::kProtocolMinor}}},
                               {"agent_version", "test"},
                               {"methods", {"hello", "ping", "exec", "exec_cancel"}}};

// Answers hello (offering `methods`) and ping; hands exec and exec_cancel to `rest`.
FakeAgent::Script agent_with(const json& hello, FakeAgent::Script rest) {
  return [hello, rest](const FakeAgent::Peer& p, const std::string& method, const json& params, uint32_t stream) {
    if (method == "hello") {
      p.result(stream, hello);
    } else if (method == "ping") {
      p.result(stream, json::object());
    } else {
      rest(p, method, params, stream);
    }
  };
}

void say_hello(FakeAgent& agent) {
  agent.conn().call("hello", json::object(), deadline_after(std::chrono::seconds(10)));
}

const json kKilled = {{"exit_code", 137}, {"signal", 9}, {"timed_out", false}, {"cancelled", true},
                      {"stdout_bytes", 6}, {"stderr_bytes", 0}};

}  // namespace

TEST_CASE("live exec: chunks reach the handler as they come; empty frames are not relayed") {
  FakeAgent agent([](const FakeAgent::Peer& p, const std::string&, const json&, uint32_t stream) {
    p.data(stream, "ab");
    p.data(stream, "");
    p.send(protocol::make_data_frame(stream, protocol::Channel::kStderr, "e"));
    p.data(stream, "cd");
    p.result(stream, {{"exit_code", 0}, {"stdout_bytes", 4}, {"stderr_bytes", 1}});
  });
  ExecOptions options;
  std::string seen;
  options.on_output = [&](const LiveOutput& c) {
    seen += (c.stream == OutputStream::kStderr ? "E:" : "O:") + std::string(c.data) + ";";
  };
  ExecResult r = exec_over_agent(agent.conn(), "true", options);
  CHECK(seen == "O:ab;E:e;O:cd;");
  CHECK(r.stdout_data == "abcd");
  CHECK_FALSE(r.cancelled);
}

TEST_CASE("live exec: bytes past the limit are refused before the handler sees them") {
  FakeAgent agent([](const FakeAgent::Peer& p, const std::string&, const json&, uint32_t stream) {
    p.data(stream, std::string(8, 'a'));
    p.data(stream, std::string(8, 'b'));
    p.result(stream, {{"exit_code", 0}});
  });
  ExecOptions options;
  options.max_output_bytes = 10;
  std::string seen;
  options.on_output = [&](const LiveOutput& c) { seen += c.data; };
  CHECK(code_of([&] { exec_over_agent(agent.conn(), "true", options); }) == ErrorCode::kAgentProtocol);
  CHECK(seen == std::string(8, 'a'));
}

TEST_CASE("live exec: a guest that claims a cancel nobody sent is not believed") {
  FakeAgent agent([](const FakeAgent::Peer& p, const std::string&, const json&, uint32_t stream) {
    p.result(stream, kKilled);
  });
  ExecResult r = exec_over_agent(agent.conn(), "true", ExecOptions{});
  CHECK_FALSE(r.cancelled);
  CHECK(r.exit_code == 137);
}

TEST_CASE("live exec: a cancel sends exec_cancel for the exec's stream and reads both answers") {
  std::atomic<uint32_t> exec_stream{0}, cancelled_stream{0};
  FakeAgent agent(agent_with(kHelloWithCancel, [&](const FakeAgent::Peer& p, const std::string& method,
                                                  const json& params, uint32_t stream) {
    if (method == "exec") {
      exec_stream = stream;
      p.data(stream, "first\n");  // and then it "runs" until cancelled
    } else if (method == "exec_cancel") {
      cancelled_stream = params.value("stream", 0u);
      p.result(cancelled_stream, kKilled);
      p.result(stream, {{"found", true}});
    }
  }));
  say_hello(agent);
  ExecOptions options;
  options.on_output = [&](const LiveOutput&) { options.cancel.cancel(); };
  ExecResult r = exec_over_agent(agent.conn(), "sleep 600", options);
  CHECK(r.cancelled);
  CHECK(r.stdout_data == "first\n");
  CHECK(cancelled_stream == exec_stream);
  // Both responses were read: the connection is in step for the next call.
  CHECK_FALSE(agent.conn().broken());
  CHECK(agent.conn().call("ping", json::object(), deadline_after(std::chrono::seconds(10))).is_object());
}

TEST_CASE("live exec: a handler that throws cancels, and its exception comes out after the answer") {
  FakeAgent agent(agent_with(kHelloWithCancel, [](const FakeAgent::Peer& p, const std::string& method,
                                                 const json& params, uint32_t stream) {
    if (method == "exec") {
      p.data(stream, "x");
    } else if (method == "exec_cancel") {
      p.result(params.value("stream", 0u), kKilled);
      p.result(stream, {{"found", true}});
    }
  }));
  say_hello(agent);
  ExecOptions options;
  struct Stop {};
  options.on_output = [](const LiveOutput&) { throw Stop{}; };
  bool stopped = false;
  try {
    exec_over_agent(agent.conn(), "sleep 600", options);
  } catch (const Stop&) {
    stopped = true;
  }
  CHECK(stopped);
  CHECK_FALSE(agent.conn().broken());
}

TEST_CASE("live exec: garbage on the cancel's stream is agent_protocol") {
  FakeAgent agent(agent_with(kHelloWithCancel, [](const FakeAgent::Peer& p, const std::string& method,
                                                 const json&, uint32_t stream) {
    if (method == "exec_cancel") p.data(stream, "not a response");
  }));
  say_hello(agent);
  ExecOptions options;
  options.cancel.cancel();
  CHECK(code_of([&] { exec_over_agent(agent.conn(), "sleep 600", options); }) == ErrorCode::kAgentProtocol);
  CHECK(agent.conn().broken());
}

TEST_CASE("live exec: an agent without exec_cancel: the wait ends with cancelled, the connection is dropped") {
  json hello = kHelloWithCancel;
  hello["methods"] = {"hello", "ping", "exec"};
  FakeAgent agent(agent_with(hello, [](const FakeAgent::Peer&, const std::string&, const json&, uint32_t) {}));
  say_hello(agent);
  ExecOptions options;
  options.cancel.cancel();
  CHECK(code_of([&] { exec_over_agent(agent.conn(), "sleep 600", options); }) == ErrorCode::kCancelled);
  CHECK(agent.conn().broken());
}

}  // namespace pyro::detail

// Runs the real `pyro-agent --socket PATH` binary on the host against a unix socket
// the test listens on, and drives it through the agent protocol.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <string>

#include "agent_harness.hpp"
#include "pyro/version_macros.h"

namespace {

namespace proto = pyro::protocol;
using nlohmann::json;
using pyro::test::AgentUnderTest;
using pyro::test::Clock;
using pyro::test::ExecOutcome;
using pyro::test::ms_since;
using pyro::test::pid_in;

void check_result(const ExecOutcome& o, int exit_code) {
  std::string why = o.response.error_code + ": " + o.response.error_message;
  REQUIRE_MESSAGE(o.response.ok, why);
  CHECK(o.response.result["exit_code"] == exit_code);
  CHECK(o.response.result["timed_out"] == false);
}

}  // namespace

TEST_CASE("agent: hello event fields") {
  AgentUnderTest agent;
  const json& h = agent.hello();
  CHECK(h["event"] == "hello");
  CHECK(h["protocol"]["major"] == 1);
  CHECK(h["protocol"]["minor"] == pyro::protocol::kProtocolMinor);
  CHECK(h["agent_version"] == PYRO_VERSION_STRING);
  CHECK(h["methods"] == json({"hello", "ping", "exec", "exec_cancel", "shutdown", "restore", "workspace_mount", "fs_stat", "fs_list",
                              "fs_read", "fs_manifest", "fs_apply", "sync", "service_start", "service_list",
                              "service_status", "service_logs", "service_stop", "shell_open", "shell_write",
                              "shell_read", "shell_resize", "shell_signal", "shell_close"}));
  CHECK(h["features"] == json::array());
  CHECK(h["kernel"].is_string());
  CHECK_FALSE(h["kernel"].get<std::string>().empty());
  if (std::filesystem::exists("/proc/sys/kernel/random/boot_id")) {
    CHECK(h["boot_id"].get<std::string>().size() == 36);
  }

  // The `hello` method answers the same fields.
  auto o = agent.call("hello", {{"protocol", {{"major", 1}, {"minor", 0}}}});
  REQUIRE(o.response.ok);
  json fields = h;
  fields.erase("event");
  CHECK(o.response.result == fields);

  auto bad = agent.call("hello", {{"protocol", "1.0"}});
  CHECK(bad.response.error_code == "invalid_argument");
}

TEST_CASE("agent: malformed frame makes it reconnect and send hello again") {
  AgentUnderTest agent;
  agent.send_raw(std::string("\xff\x00\x00\x00\x00\x00\x00\x01\x01\x00", 10));
  json hello = agent.accept_connection();
  CHECK(hello["event"] == "hello");
  CHECK(hello["protocol"]["major"] == 1);
  CHECK(hello["agent_version"] == PYRO_VERSION_STRING);
  CHECK(hello["methods"] == agent.hello()["methods"]);
  CHECK(hello["features"] == json::array());
  CHECK(hello["kernel"].is_string());
  CHECK(agent.call("ping", json::object()).response.ok);
}

TEST_CASE("agent: ping") {
  AgentUnderTest agent;
  auto o = agent.call("ping", json::object());
  REQUIRE(o.response.ok);
  CHECK(o.response.result == json::object());
}

TEST_CASE("agent: exec echo hi") {
  AgentUnderTest agent;
  auto o = agent.call("exec", {{"command", "echo hi"}});
  check_result(o, 0);
  CHECK(o.out == "hi\n");
  CHECK(o.err.empty());
  CHECK(o.response.result["signal"] == 0);
  CHECK(o.response.result["stdout_bytes"] == 3);
  CHECK(o.response.result["stderr_bytes"] == 0);
  CHECK(o.response.result["stdout_truncated"] == false);
  CHECK(o.response.result["duration_ms"].is_number_integer());
}

TEST_CASE("agent: exec separates stdout and stderr") {
  AgentUnderTest agent;
  auto o = agent.call("exec", {{"command", "echo out; echo err >&2; echo out2"}});
  check_result(o, 0);
  CHECK(o.out == "out\nout2\n");
  CHECK(o.err == "err\n");
  CHECK(o.response.result["stderr_bytes"] == 4);
}

TEST_CASE("agent: exec exit code and signal are results, not errors") {
  AgentUnderTest agent;
  auto o = agent.call("exec", {{"command", "exit 3"}});
  check_result(o, 3);
  CHECK(o.response.result["signal"] == 0);
  auto k = agent.call("exec", {{"command", "kill -TERM $$"}});
  REQUIRE(k.response.ok);
  CHECK(k.response.result["signal"] == 15);
  CHECK(k.response.result["exit_code"] == 143);
  CHECK(k.response.result["timed_out"] == false);
}

TEST_CASE("agent: exec output is binary-safe") {
  AgentUnderTest agent;
  auto o = agent.call("exec", {{"command", "printf '\\000\\377'"}});
  check_result(o, 0);
  CHECK(o.out == std::string("\0\xff", 2));
  CHECK(o.response.result["stdout_bytes"] == 2);
}

TEST_CASE("agent: exec output over the limit is truncated but counted") {
  AgentUnderTest agent;
  auto o = agent.call("exec", {{"command", "head -c 200000 /dev/zero; echo e >&2"},
                               {"stdout_limit", 1000}});
  check_result(o, 0);
  CHECK(o.out == std::string(1000, '\0'));
  CHECK(o.response.result["stdout_bytes"] == 200000);
  CHECK(o.response.result["stdout_truncated"] == true);
  CHECK(o.err == "e\n");
  CHECK(o.response.result["stderr_truncated"] == false);

  auto big = agent.call("exec", {{"command", "head -c 300000 /dev/zero"}});
  check_result(big, 0);
  CHECK(big.out.size() == 300000);
  CHECK(big.data_frames >= 5);  // 64 KiB chunks at most
  CHECK(big.response.result["stdout_truncated"] == false);

  auto none = agent.call("exec", {{"command", "echo dropped"}, {"stdout_limit", 0}});
  check_result(none, 0);
  CHECK(none.data_frames == 0);
  CHECK(none.response.result["stdout_bytes"] == 8);
  CHECK(none.response.result["stdout_truncated"] == true);
}

namespace {

// Gone or a zombie (killed, waiting for init to reap it).
bool process_ended(pid_t pid) {
  auto stat = pyro::test::proc_stat(pid);
  return stat.empty() || stat[0] == "Z";
}

}  // namespace

TEST_CASE("agent: exec timeout kills the process group") {
  AgentUnderTest agent;
  const std::string pidfile = agent.dir() + "/background.pid";
  auto start = Clock::now();
  auto o = agent.call("exec", {{"command", "sleep 600 & echo $! > " + pidfile + "; sleep 600; echo never"},
                               {"timeout_ms", 300}});
  int elapsed = ms_since(start);
  REQUIRE(o.response.ok);
  CHECK(o.response.result["timed_out"] == true);
  CHECK(o.response.result["signal"] == 9);
  CHECK(o.response.result["exit_code"] == 137);
  CHECK(o.out.empty());
  CHECK(elapsed >= 280);  // not before its timeout
  // The background `sleep` of the group is killed too (it would outlive the test otherwise).
  pid_t background = pid_in(pidfile);
  REQUIRE(background > 0);
  bool killed = pyro::test::poll_until([&] { return process_ended(background); }, std::chrono::seconds(30));
  if (!killed) ::kill(background, SIGKILL);
  CHECK_MESSAGE(killed, "the background process of the timed-out command survived");
}

TEST_CASE("agent: exec_cancel kills the process group and the answer says cancelled") {
  AgentUnderTest agent;
  const std::string pidfile = agent.dir() + "/background.pid";
  // Without the cancel the command would run for 10 minutes (call() gives up long before).
  uint32_t s = agent.request("exec", {{"command", "sleep 600 & echo $! > " + pidfile + "; sleep 600; echo never"},
                                      {"timeout_ms", 600000}});
  REQUIRE(pyro::test::poll_until([&] { return pid_in(pidfile) > 0; }, std::chrono::seconds(30)));
  const pid_t background = pid_in(pidfile);
  uint32_t c = agent.request("exec_cancel", {{"stream", s}});
  auto results = agent.collect({s, c});
  REQUIRE(results[s].response.ok);
  CHECK(results[s].response.result["cancelled"] == true);
  CHECK(results[s].response.result["timed_out"] == false);
  CHECK(results[s].response.result["exit_code"] == 137);
  CHECK(results[s].response.result["signal"] == 9);
  CHECK(results[s].out.empty());
  REQUIRE(results[c].response.ok);
  CHECK(results[c].response.result["found"] == true);
  bool killed = pyro::test::poll_until([&] { return process_ended(background); }, std::chrono::seconds(30));
  if (!killed) ::kill(background, SIGKILL);
  CHECK_MESSAGE(killed, "the background process of the cancelled command survived");

  // The exec is gone: a second cancel finds nothing; a finished exec was not cancelled.
  CHECK(agent.call("exec_cancel", {{"stream", s}}).response.result["found"] == false);
  auto done = agent.call("exec", {{"command", "echo ok"}});
  check_result(done, 0);
  CHECK(done.response.result["cancelled"] == false);
  for (const json& params : {json::object(), json{{"stream", "x"}}, json{{"stream", -1}}, json{{"stream", 0}}}) {
    auto o = agent.call("exec_cancel", params);
    CHECK_MESSAGE(o.response.error_code == "invalid_argument", params.dump());
  }
}

TEST_CASE("agent: exec_cancel right after the exec request, before it forked, still cancels") {
  AgentUnderTest agent;
  uint32_t s = agent.request("exec", {{"command", "sleep 600"}, {"timeout_ms", 600000}});
  uint32_t c = agent.request("exec_cancel", {{"stream", s}});
  auto results = agent.collect({s, c});
  REQUIRE(results[s].response.ok);
  CHECK(results[s].response.result["cancelled"] == true);
  CHECK(results[c].response.result["found"] == true);
}

TEST_CASE("agent: exec does not wait for a background process holding the pipe") {
  AgentUnderTest agent;
  const std::string pidfile = agent.dir() + "/background.pid";
  // The background `sleep` holds stdout for 10 minutes: the answer must not wait for it
  // (call() would run into its deadline long before).
  auto o = agent.call("exec", {{"command", "sleep 600 & echo $! > " + pidfile + "; echo started"}});
  check_result(o, 0);
  CHECK(o.out == "started\n");
  if (pid_t background = pid_in(pidfile); background > 0) ::kill(background, SIGKILL);
}

TEST_CASE("agent: exec errors") {
  AgentUnderTest agent;
  auto cwd = agent.call("exec", {{"command", "true"}, {"cwd", "/nonexistent/pyro-test"}});
  CHECK_FALSE(cwd.response.ok);
  CHECK(cwd.response.error_code == "not_found");

  auto prog = agent.call("exec", {{"argv", {"pyro-no-such-program-xyz"}}});
  CHECK_FALSE(prog.response.ok);
  CHECK(prog.response.error_code == "not_found");

  auto abs = agent.call("exec", {{"argv", {"/nonexistent/prog"}}});
  CHECK(abs.response.error_code == "not_found");

  for (const json& params : {json::object(), json{{"command", 5}}, json{{"argv", json::array()}},
                             json{{"argv", {"ls", 1}}}, json{{"command", "true"}, {"env", {{"A", 1}}}},
                             json{{"command", "true"}, {"timeout_ms", "x"}},
                             json{{"command", "true"}, {"timeout_ms", 1.5}},
                             json{{"command", "true"}, {"stdout_limit", -1}},
                             json{{"command", "true"}, {"cwd", 7}}}) {
    auto o = agent.call("exec", params);
    CHECK_FALSE(o.response.ok);
    CHECK_MESSAGE(o.response.error_code == "invalid_argument", params.dump());
  }
}

TEST_CASE("agent: unknown method, bad request payloads, stray frames") {
  AgentUnderTest agent;
  auto o = agent.call("frobnicate", json::object());
  CHECK_FALSE(o.response.ok);
  CHECK(o.response.error_code == "unimplemented");

  proto::Frame bad;
  bad.stream = 101;
  bad.type = proto::FrameType::kRequest;
  bad.payload = "{not json";
  agent.send(bad);
  auto r = agent.collect({101});
  CHECK(r[101].response.error_code == "invalid_argument");

  bad.stream = 103;
  bad.payload = R"({"params":{}})";
  agent.send(bad);
  CHECK(agent.collect({103})[103].response.error_code == "invalid_argument");

  // Frames the agent does not expect from the host are ignored, not fatal.
  agent.send(proto::make_data_frame(105, proto::Channel::kStdin, "x"));
  agent.send(proto::make_response(107, json::object()));
  agent.send(proto::make_request(0, "ping", json::object()));
  CHECK(agent.call("ping", json::object()).response.ok);
}

TEST_CASE("agent: concurrent execs on two streams both complete") {
  AgentUnderTest agent;
  // The first exec waits for a file that only the second makes: run one after the
  // other, the first would give up (after about 20 s) without printing `slow`.
  const std::string flag = agent.dir() + "/fast-ran";
  uint32_t slow = agent.request(
      "exec", {{"command", "i=0; while [ ! -e " + flag + " ] && [ $i -lt 2000 ]; do sleep 0.01; i=$((i+1)); done; "
                           "[ -e " + flag + " ] && echo slow"}});
  uint32_t fast = agent.request("exec", {{"command", "touch " + flag + "; echo fast"}});
  uint32_t ping = agent.request("ping", json::object());
  auto results = agent.collect({slow, fast, ping}, 60000);
  check_result(results[slow], 0);
  check_result(results[fast], 0);
  CHECK(results[slow].out == "slow\n");
  CHECK(results[fast].out == "fast\n");
  CHECK(results[ping].response.ok);
}

TEST_CASE("agent: many concurrent execs keep frames whole and streams apart") {
  AgentUnderTest agent;
  std::map<uint32_t, char> letter;
  std::set<uint32_t> streams;
  for (int i = 0; i < 8; ++i) {
    char c = static_cast<char>('a' + i);
    std::string cmd = std::string("head -c 150000 /dev/zero | tr '\\000' ") + c;
    uint32_t s = agent.request("exec", {{"command", cmd}});
    letter[s] = c;
    streams.insert(s);
  }
  for (int i = 0; i < 16; ++i) streams.insert(agent.request("exec", {{"command", "exit 7"}}));
  auto results = agent.collect(streams, 5000);
  for (uint32_t s : streams) {
    if (letter.count(s)) {
      check_result(results[s], 0);
      CHECK(results[s].out == std::string(150000, letter[s]));
    } else {
      check_result(results[s], 7);
    }
  }
}

TEST_CASE("agent: env, cwd and argv are honoured") {
  AgentUnderTest agent;
  auto o = agent.call("exec", {{"command", "echo \"$FOO|$HOME|$TERM|$LANG\"; pwd"},
                               {"env", {{"FOO", "bar baz"}}},
                               {"cwd", "/tmp"}});
  check_result(o, 0);
  CHECK(o.out == "bar baz|/root|dumb|C.UTF-8\n/tmp\n");

  auto over = agent.call("exec", {{"command", "echo $HOME"}, {"env", {{"HOME", "/home/x"}}}});
  CHECK(over.out == "/home/x\n");

  auto argv = agent.call("exec", {{"argv", {"printf", "%s|%s", "a b", "$FOO"}}, {"env", {{"FOO", "no"}}}});
  check_result(argv, 0);
  CHECK(argv.out == "a b|$FOO");
}

TEST_CASE("agent: shutdown answers and exits; EOF exits 0") {
  {
    AgentUnderTest agent;
    auto o = agent.call("shutdown", json::object());
    CHECK(o.response.ok);
    REQUIRE(agent.wait_exit(2000));
    CHECK(WIFEXITED(agent.status()));
    CHECK(WEXITSTATUS(agent.status()) == 0);
  }
  {
    AgentUnderTest agent;
    agent.close_connection();
    REQUIRE(agent.wait_exit(2000));
    CHECK(WIFEXITED(agent.status()));
    CHECK(WEXITSTATUS(agent.status()) == 0);
  }
}

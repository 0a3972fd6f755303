// Services of the real `pyro-agent` run on the host (`--workspace-root`): readiness
// of each type, failures, restarts, logs and stop (protocol 1.3).
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "agent_harness.hpp"
#include "protocol/base64.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using pyro::test::AgentUnderTest;
using pyro::test::data_of;
using pyro::test::ok;
using pyro::test::Clock;
using pyro::test::ms_since;

// A TCP port on 127.0.0.1 that nothing listens on right now.
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  ::close(fd);
  return ntohs(sa.sin_port);
}

std::string http_server(int port) {
  return "exec python3 -m http.server --bind 127.0.0.1 " + std::to_string(port);
}

// Polls service_status until `pred` holds (or 30 s pass).
json wait_status(AgentUnderTest& agent, const std::string& name, const std::function<bool(const json&)>& pred) {
  json st;
  if (!pyro::test::poll_until([&] { return pred(st = ok(agent, "service_status", {{"name", name}})); },
                              std::chrono::seconds(30))) {
    FAIL("service `" << name << "` never reached the expected status; last: " << st.dump());
  }
  return st;
}

// Polls service_logs until the whole log satisfies `pred` (or 30 s pass); returns it.
json wait_logs(AgentUnderTest& agent, const std::string& name, const std::function<bool(const json&)>& pred) {
  json logs;
  if (!pyro::test::poll_until([&] { return pred(logs = ok(agent, "service_logs", {{"name", name}})); },
                              std::chrono::seconds(30))) {
    FAIL("the logs of service `" << name << "` never became as expected; last: " << logs.dump());
  }
  return logs;
}

}  // namespace

TEST_CASE("agent services: readiness file, command, tcp and http") {
  AgentUnderTest agent(true);
  auto st = ok(agent, "service_start",
               {{"name", "files"},
                {"command", "sleep 0.2; touch ready; exec sleep 30"},
                {"readiness", {{"type", "file"}, {"path", "ready"}, {"interval_ms", 50}}}});
  CHECK(st["state"] == "running");
  CHECK(st["ready"] == true);
  CHECK(st["readiness"] == "file");
  CHECK(st["cwd"] == agent.root());
  CHECK(st["pid"].get<int>() > 0);
  CHECK(st["restarts"] == 0);
  CHECK(st["ended_at"] == "");
  CHECK(st["started_at"].get<std::string>().size() == 20);
  CHECK(st["failure"].is_null());
  CHECK(fs::exists(fs::path(agent.root()) / "ready"));

  st = ok(agent, "service_start",
          {{"name", "cmd"},
           {"command", "sleep 0.2; echo $GREETING > flag; exec sleep 30"},
           {"env", {{"GREETING", "hi"}}},
           {"readiness", {{"type", "command"}, {"command", "grep -q hi flag"}, {"interval_ms", 50}}}});
  CHECK(st["state"] == "running");
  CHECK(st["readiness"] == "command");

  int port = free_port();
  st = ok(agent, "service_start",
          {{"name", "tcp"}, {"command", http_server(port)}, {"readiness", {{"type", "tcp"}, {"port", port}}}});
  CHECK(st["state"] == "running");

  int port2 = free_port();
  st = ok(agent, "service_start",
          {{"name", "web"},
           {"command", http_server(port2)},
           {"readiness", {{"type", "http"}, {"url", "http://localhost:" + std::to_string(port2) + "/"}}}});
  CHECK(st["state"] == "running");
  CHECK(st["readiness"] == "http");

  auto list = ok(agent, "service_list", json::object());
  std::vector<std::string> names;
  for (const auto& s : list["services"]) names.push_back(s["name"]);
  CHECK(names == std::vector<std::string>{"cmd", "files", "tcp", "web"});
}

TEST_CASE("agent services: never ready is deadline_exceeded, state failed, logs kept") {
  AgentUnderTest agent(true);
  int port = free_port();
  auto start = Clock::now();
  auto o = agent.call("service_start",
                      {{"name", "web"},
                       {"command", "echo booting; " + http_server(port)},
                       {"readiness",
                        {{"type", "http"}, {"url", "http://127.0.0.1:" + std::to_string(port) + "/missing"},
                         {"timeout_ms", 1000}, {"interval_ms", 100}}}},
                      8000);
  CHECK(ms_since(start) >= 1000);  // not before its readiness timeout
  REQUIRE_FALSE(o.response.ok);
  CHECK(o.response.error_code == "deadline_exceeded");
  // The message names the last check's cause: the 404 or, while python is still
  // starting on a loaded machine, a refused, unanswered or timed-out connection.
  const std::string& message = o.response.error_message;
  const std::string prefix = "service_start `web`: not ready within 1000 ms: http http://127.0.0.1:" +
                             std::to_string(port) + "/missing: ";
  CHECK_MESSAGE(message.rfind(prefix, 0) == 0, message);
  bool why = false;
  for (const char* cause : {"status 404", "connection refused", "connect timed out", "no answer within", "receive: ",
                            "send: ", "send timed out"}) {
    why = why || message.compare(prefix.size(), std::string(cause).size(), cause) == 0;
  }
  CHECK_MESSAGE(why, message);
  auto st = ok(agent, "service_status", {{"name", "web"}});
  CHECK(st["state"] == "failed");
  CHECK(st["failure"]["code"] == "deadline_exceeded");
  CHECK(st["failure"]["message"] == o.response.error_message);
  CHECK(st["pid"] == 0);
  CHECK(st["ended_at"] != "");
  auto logs = ok(agent, "service_logs", {{"name", "web"}});
  CHECK(data_of(logs).rfind("booting\n", 0) == 0);

  auto refused = agent.call("service_start", {{"name", "tcp"},
                                              {"command", "exec sleep 30"},
                                              {"readiness", {{"type", "tcp"}, {"port", free_port()}, {"timeout_ms", 300}}}});
  CHECK(refused.response.error_code == "deadline_exceeded");
  CHECK_MESSAGE(refused.response.error_message.find("connection refused") != std::string::npos,
                refused.response.error_message);
}

TEST_CASE("agent services: exit before ready is failed_precondition; a crash is state exited") {
  AgentUnderTest agent(true);
  auto o = agent.call("service_start", {{"name", "early"},
                                        {"command", "exit 3"},
                                        {"readiness", {{"type", "file"}, {"path", "never"}}}});
  CHECK(o.response.error_code == "failed_precondition");
  auto st = ok(agent, "service_status", {{"name", "early"}});
  CHECK(st["state"] == "exited");
  CHECK(st["exit_code"] == 3);
  CHECK(st["failure"]["code"] == "failed_precondition");
  CHECK(st["failure"]["message"] == o.response.error_message);

  ok(agent, "service_start", {{"name", "crash"}, {"command", "sleep 0.1; echo dying; exit 3"}});
  st = wait_status(agent, "crash", [](const json& s) { return s["state"] == "exited"; });
  CHECK(st["exit_code"] == 3);
  CHECK(st["signal"] == 0);
  CHECK(st["pid"] == 0);
  CHECK(st["restarts"] == 0);

  ok(agent, "service_start", {{"name", "killed"}, {"command", "kill -KILL $$"}});
  st = wait_status(agent, "killed", [](const json& s) { return s["state"] == "exited"; });
  CHECK(st["signal"] == 9);
  CHECK(st["exit_code"] == 137);
}

TEST_CASE("agent services: wait false answers at once and checks readiness in the background") {
  AgentUnderTest agent(true);
  // Ready only once the test makes the file: a start that waited would never answer.
  auto st = ok(agent, "service_start",
               {{"name", "slow"},
                {"command", "exec sleep 30"},
                {"wait", false},
                {"readiness", {{"type", "file"}, {"path", "ready"}, {"interval_ms", 50}}}});
  CHECK(st["state"] == "starting");
  CHECK(st["ready"] == false);
  CHECK(st["failure"].is_null());
  CHECK(st["pid"].get<int>() > 0);
  // Other requests are answered while it starts.
  CHECK(ok(agent, "service_status", {{"name", "slow"}})["state"] == "starting");
  std::ofstream(fs::path(agent.root()) / "ready").put('\n');
  st = wait_status(agent, "slow", [](const json& s) { return s["state"] != "starting"; });
  CHECK(st["state"] == "running");
  CHECK(st["ready"] == true);
  CHECK(st["failure"].is_null());
  CHECK(fs::exists(fs::path(agent.root()) / "ready"));

  // Without readiness it is running at once, waiting or not.
  st = ok(agent, "service_start", {{"name", "plain"}, {"command", "exec sleep 30"}, {"wait", false}});
  CHECK(st["state"] == "running");
  CHECK(st["ready"] == true);

  auto start = Clock::now();
  st = ok(agent, "service_start",
          {{"name", "never"},
           {"command", "echo booting; exec sleep 30"},
           {"wait", false},
           {"readiness", {{"type", "file"}, {"path", "nope"}, {"timeout_ms", 2000}, {"interval_ms", 50}}}});
  CHECK(st["state"] == "starting");
  st = wait_status(agent, "never", [](const json& s) { return s["state"] != "starting"; });
  CHECK(ms_since(start) >= 2000);  // not before its readiness timeout
  CHECK(st["state"] == "failed");
  CHECK(st["ready"] == false);
  CHECK(st["pid"] == 0);
  CHECK(st["failure"]["code"] == "deadline_exceeded");
  const std::string why = st["failure"]["message"];
  CHECK_MESSAGE(why.find("service_start `never`: not ready within 2000 ms: file") == 0, why);
  CHECK(data_of(ok(agent, "service_logs", {{"name", "never"}})) == "booting\n");

  // It quits once the test makes `go`, after the (non-waiting) answer.
  st = ok(agent, "service_start",
          {{"name", "quits"},
           {"command", "while [ ! -e go ]; do sleep 0.01; done; exit 5"},
           {"wait", false},
           {"readiness", {{"type", "file"}, {"path", "nope"}, {"interval_ms", 50}}}});
  CHECK(st["state"] == "starting");
  std::ofstream(fs::path(agent.root()) / "go").put('\n');
  st = wait_status(agent, "quits", [](const json& s) { return s["state"] != "starting"; });
  CHECK(st["state"] == "exited");
  CHECK(st["exit_code"] == 5);
  CHECK(st["failure"]["code"] == "failed_precondition");
  CHECK(st["failure"]["message"] == "service_start `quits`: exited with code 5 before it was ready");

  // A stop while it starts ends it as stopped, with the failure a waiting start would report.
  ok(agent, "service_start", {{"name", "halted"},
                              {"command", "exec sleep 30"},
                              {"wait", false},
                              {"readiness", {{"type", "file"}, {"path", "nope"}, {"interval_ms", 50}}}});
  st = ok(agent, "service_stop", {{"name", "halted"}, {"grace_ms", 1000}});
  CHECK(st["state"] == "stopped");
  CHECK(st["failure"]["code"] == "failed_precondition");

  CHECK(agent.call("service_start", {{"name", "bad"}, {"command", "true"}, {"wait", "no"}}).response.error_code ==
        "invalid_argument");
}

TEST_CASE("agent services: restart on-failure counts restarts and keeps one log") {
  AgentUnderTest agent(true);
  ok(agent, "service_start",
     {{"name", "flaky"}, {"command", "echo run; exit 1"}, {"restart", "on-failure"}, {"max_restarts", 2}});
  // Backoff 500 ms then 1 s.
  auto st = wait_status(agent, "flaky", [](const json& s) { return s["restarts"] == 2 && s["state"] == "exited"; });
  CHECK(st["exit_code"] == 1);
  json logs = wait_logs(agent, "flaky", [](const json& l) { return l["finished"] == true; });
  CHECK(data_of(logs) == "run\nrun\nrun\n");

  // A clean exit is not a failure. The yardstick: a service with restart `always` that
  // exits after `clean` did has been restarted, so a restart of `clean` was due before.
  ok(agent, "service_start", {{"name", "clean"}, {"command", "exit 0"}, {"restart", "on-failure"}});
  wait_status(agent, "clean", [](const json& s) { return s["state"] == "exited"; });
  ok(agent, "service_start", {{"name", "yardstick"}, {"command", "exit 0"}, {"restart", "always"}, {"max_restarts", 1}});
  wait_status(agent, "yardstick", [](const json& s) { return s["restarts"] == 1 && s["state"] == "exited"; });
  st = ok(agent, "service_status", {{"name", "clean"}});
  CHECK(st["state"] == "exited");
  CHECK(st["restarts"] == 0);
}

TEST_CASE("agent services: restart always also restarts a clean exit; stop cancels a pending restart") {
  AgentUnderTest agent(true);
  ok(agent, "service_start", {{"name", "loop"}, {"command", "echo tick"}, {"restart", "always"}, {"max_restarts", 1}});
  auto st = wait_status(agent, "loop", [](const json& s) { return s["restarts"] == 1 && s["state"] == "exited"; });
  CHECK(st["exit_code"] == 0);

  // Exits at once, then waits in its 500 ms backoff: a stop then must end it for good.
  ok(agent, "service_start", {{"name", "again"}, {"command", "exit 0"}, {"restart", "always"}, {"max_restarts", 5}});
  wait_status(agent, "again", [](const json& s) { return s["state"] == "exited"; });
  st = ok(agent, "service_stop", {{"name", "again"}});
  // The yardstick exits after `again` did: once it has been restarted, the cancelled
  // restart of `again` would have happened too.
  ok(agent, "service_start", {{"name", "yardstick"}, {"command", "exit 0"}, {"restart", "always"}, {"max_restarts", 1}});
  wait_status(agent, "yardstick", [](const json& s) { return s["restarts"] == 1 && s["state"] == "exited"; });
  st = ok(agent, "service_status", {{"name", "again"}});
  CHECK(st["restarts"] == 0);
  CHECK(st["pid"] == 0);
}

TEST_CASE("agent services: a service outlives the connection that started it") {
  AgentUnderTest agent(true);
  ok(agent, "service_start", {{"name", "keep"}, {"command", "exec sleep 30"}});
  // A malformed frame makes the agent drop this connection and open a new one.
  agent.send_raw(std::string("\xff\x00\x00\x00\x00\x00\x00\x01\x01\x00", 10));
  agent.accept_connection();
  auto list = ok(agent, "service_list", json::object());
  REQUIRE(list["services"].size() == 1);
  CHECK(list["services"][0]["name"] == "keep");
  CHECK(list["services"][0]["state"] == "running");
}

TEST_CASE("agent services: logs by cursor, tail_lines and wait_ms") {
  AgentUnderTest agent(true);
  ok(agent, "service_start", {{"name", "lines"},
                              {"command", "printf 'l1\\nl2\\nl3\\nl4\\nl5'; touch done; exec sleep 30"},
                              {"readiness", {{"type", "file"}, {"path", "done"}, {"interval_ms", 20}}}});
  json all = wait_logs(agent, "lines", [](const json& l) { return l["end"] == 14; });
  CHECK(data_of(all) == "l1\nl2\nl3\nl4\nl5");
  CHECK(all["service"]["name"] == "lines");
  auto from = ok(agent, "service_logs", {{"name", "lines"}, {"cursor", 6}, {"max_bytes", 3}});
  CHECK(data_of(from) == "l3\n");
  CHECK(from["more"] == true);
  auto behind = ok(agent, "service_logs", {{"name", "lines"}, {"cursor", 6}, {"lookbehind", 2}, {"max_bytes", 3}});
  CHECK(behind["offset"] == 4);
  CHECK(data_of(behind) == "2\nl3\n");
  auto tail = ok(agent, "service_logs", {{"name", "lines"}, {"tail_lines", 2}, {"cursor", 0}});
  CHECK(data_of(tail) == "l4\nl5");
  CHECK(tail["offset"] == 9);

  ok(agent, "service_start", {{"name", "late"}, {"command", "sleep 0.3; echo late; exec sleep 30"}});
  auto start = Clock::now();
  auto waited = ok(agent, "service_logs", {{"name", "late"}, {"wait_ms", 60000}});
  CHECK(data_of(waited) == "late\n");
  CHECK(ms_since(start) >= 250);  // it did wait for the output
}

TEST_CASE("agent services: more than 1 MiB of output wraps the ring") {
  AgentUnderTest agent(true);
  ok(agent, "service_start",
     {{"name", "loud"}, {"command", "head -c 1500000 /dev/zero | tr '\\000' x; echo; echo END; exec sleep 30"}});
  json tail;
  pyro::test::wait_until(
      [&] { return data_of(tail = ok(agent, "service_logs", {{"name", "loud"}, {"tail_lines", 1}})) == "END\n"; },
      std::chrono::seconds(30), "the last line `END` of service `loud`");
  CHECK(data_of(tail) == "END\n");
  CHECK(tail["end"] == 1500005);
  auto head = ok(agent, "service_logs", {{"name", "loud"}, {"cursor", 0}});
  CHECK(head["missed"].get<uint64_t>() > 0);
  CHECK(head["start"] == head["end"].get<uint64_t>() - (1u << 20));
  CHECK(head["offset"] == head["start"]);
  CHECK(head["more"] == true);
  CHECK(data_of(head).size() == 65536);
}

TEST_CASE("agent services: stop with grace, then SIGKILL; replace an ended service") {
  AgentUnderTest agent(true);
  ok(agent, "service_start", {{"name", "polite"},
                              {"command", "trap 'echo got-term; exit 0' TERM; echo up; while :; do sleep 0.05; done"},
                              {"readiness", {{"type", "command"}, {"command", "true"}}}});
  // The trap must be installed before the signal: wait for "up".
  wait_logs(agent, "polite", [](const json& l) { return data_of(l) == "up\n"; });
  auto st = ok(agent, "service_stop", {{"name", "polite"}, {"grace_ms", 60000}});
  CHECK(st["state"] == "stopped");
  CHECK(st["exit_code"] == 0);
  // All of its output is in once the log is finished (the reader may trail the exit).
  auto logs = wait_logs(agent, "polite", [](const json& l) { return l["finished"] == true; });
  CHECK(data_of(logs).find("got-term") != std::string::npos);

  ok(agent, "service_start", {{"name", "stubborn"}, {"command", "trap '' TERM; echo up; while :; do sleep 0.05; done"}});
  wait_logs(agent, "stubborn", [](const json& l) { return data_of(l) == "up\n"; });
  auto start = Clock::now();
  st = ok(agent, "service_stop", {{"name", "stubborn"}, {"signal", "SIGTERM"}, {"grace_ms", 300}});
  CHECK(ms_since(start) >= 290);
  CHECK(st["state"] == "stopped");
  CHECK(st["signal"] == 9);
  CHECK(st["exit_code"] == 137);

  // A stopped name can be started again; a running one cannot.
  ok(agent, "service_start", {{"name", "stubborn"}, {"command", "exec sleep 30"}});
  auto dup = agent.call("service_start", {{"name", "stubborn"}, {"command", "true"}});
  CHECK(dup.response.error_code == "already_exists");
  auto fresh = ok(agent, "service_logs", {{"name", "stubborn"}});
  CHECK(fresh["end"] == 0);

  // Stopping an ended service keeps its state.
  ok(agent, "service_start", {{"name", "done"}, {"command", "exit 4"}});
  wait_status(agent, "done", [](const json& s) { return s["state"] == "exited"; });
  CHECK(ok(agent, "service_stop", {{"name", "done"}})["state"] == "exited");
}

TEST_CASE("agent services: argument errors, not_found, resource_exhausted") {
  AgentUnderTest agent(true);
  for (const json& params : {json{{"command", "true"}}, json{{"name", "-x"}, {"command", "true"}},
                             json{{"name", std::string(64, 'a')}, {"command", "true"}}, json{{"name", "a"}},
                             json{{"name", "a"}, {"command", "true"}, {"restart", "sometimes"}},
                             json{{"name", "a"}, {"command", "true"}, {"readiness", {{"type", "udp"}}}},
                             json{{"name", "a"}, {"command", "true"}, {"readiness", {{"type", "http"}, {"url", "https://x/"}}}},
                             json{{"name", "a"}, {"command", "true"}, {"readiness", {{"type", "tcp"}}}},
                             json{{"name", "a"}, {"command", "true"}, {"env", {{"A", 1}}}}}) {
    CHECK_MESSAGE(agent.call("service_start", params).response.error_code == "invalid_argument", params.dump());
  }
  CHECK(agent.call("service_start", {{"name", "a"}, {"command", "true"}, {"cwd", "/nonexistent/x"}})
            .response.error_code == "not_found");
  CHECK(agent.call("service_status", {{"name", "nope"}}).response.error_code == "not_found");
  CHECK(agent.call("service_logs", {{"name", "nope"}}).response.error_code == "not_found");
  CHECK(agent.call("service_stop", {{"name", "nope"}}).response.error_code == "not_found");
  ok(agent, "service_start", {{"name", "s0"}, {"command", "exec sleep 30"}});
  CHECK(agent.call("service_stop", {{"name", "s0"}, {"signal", "WINCH"}}).response.error_code == "invalid_argument");
  CHECK(agent.call("service_logs", {{"name", "s0"}, {"max_bytes", 0}}).response.error_code == "invalid_argument");
  for (int i = 1; i < 32; ++i) ok(agent, "service_start", {{"name", "s" + std::to_string(i)}, {"command", "exec sleep 30"}});
  CHECK(agent.call("service_start", {{"name", "s32"}, {"command", "true"}}).response.error_code == "resource_exhausted");
}

// PTY shells of the real `pyro-agent` run on the host (`--workspace-root`): state kept
// between writes, replayable output, waiting reads, resize, signals, close (protocol 1.3).
#include <doctest/doctest.h>

#include <fstream>
#include <functional>
#include <regex>
#include <thread>

#include "agent_harness.hpp"
#include "protocol/base64.hpp"

namespace {

using nlohmann::json;
using pyro::test::AgentUnderTest;
using pyro::test::data_of;
using pyro::test::ok;
using pyro::test::Clock;
using pyro::test::ms_since;
using pyro::test::pid_in;

// Whether `pid` runs `sleep` as the foreground process group of its terminal.
bool is_foreground(pid_t pid) {
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  comm >> name;
  auto stat = pyro::test::proc_stat(pid);
  return name == "sleep" && stat.size() > 5 && stat[2] == stat[5];  // pgrp == tpgid
}

// Whether `output` has a line that is exactly `line`, ignoring terminal escape
// sequences (bash brackets each prompt with ESC[?2004h/l) and CRs.
bool has_line(const std::string& output, const std::string& line) {
  std::string plain = std::regex_replace(output, std::regex("\x1b\\[[0-9;?]*[A-Za-z]"), "");
  std::string current;
  for (char c : plain) {
    if (c == '\r' || c == '\n') {
      if (current == line) return true;
      current.clear();
    } else {
      current += c;
    }
  }
  return false;
}

// One open shell and everything read from it so far.
struct ShellSession {
  AgentUnderTest& agent;
  std::string id;
  uint64_t cursor = 0;
  std::string seen;

  json opened;  // the status shell_open answered

  explicit ShellSession(AgentUnderTest& a, const json& params = json::object()) : agent(a) {
    opened = ok(agent, "shell_open", params);
    id = opened["shell_id"];
  }

  void write(const std::string& text) {
    ok(agent, "shell_write", {{"shell_id", id}, {"data", pyro::protocol::base64_encode(text)}});
  }

  // Reads until the output since the last call contains `marker`; returns that output.
  std::string read_until(const std::string& marker, int timeout_ms = 30000) {
    return read_until_match([&](const std::string& got) { return got.find(marker) != std::string::npos; }, marker,
                            timeout_ms);
  }

  // Reads until a whole output line equals `line`.
  std::string read_until_line(const std::string& line, int timeout_ms = 30000) {
    return read_until_match([&](const std::string& got) { return has_line(got, line); }, line, timeout_ms);
  }

  std::string read_until_match(const std::function<bool(const std::string&)>& done, const std::string& marker,
                               int timeout_ms) {
    std::string got;
    auto start = Clock::now();
    while (!done(got)) {
      if (ms_since(start) > timeout_ms) {
        FAIL("no `" << marker << "` in shell output: " << json(got).dump());
      }
      auto r = ok(agent, "shell_read", {{"shell_id", id}, {"cursor", cursor}, {"wait_ms", 500}});
      std::string d = data_of(r);
      CHECK(r["offset"] == cursor);
      cursor += d.size();
      got += d;
      seen += d;
    }
    return got;
  }
};

}  // namespace

TEST_CASE("agent shells: open, state between writes, replay from cursor 0") {
  AgentUnderTest agent(true);
  ShellSession sh(agent, {{"env", {{"PYRO_T", "v1"}}}});
  const json& st = sh.opened;
  CHECK(std::regex_match(st["shell_id"].get<std::string>(), std::regex("sh-[0-9a-f]{8}")));
  CHECK(st["state"] == "running");
  CHECK(st["pid"].get<int>() > 0);
  CHECK(st["cols"] == 120);
  CHECK(st["rows"] == 40);
  CHECK(st["cwd"] == agent.root());
  CHECK(st["created_at"].get<std::string>().size() == 20);

  sh.write("cd /tmp\n");
  sh.write("pwd\n");
  sh.read_until_line("/tmp");
  sh.write("X=42\n");
  sh.write("echo $X\n");
  sh.read_until_line("42");
  sh.write("echo $TERM-$PYRO_T\n");
  sh.read_until_line("xterm-256color-v1");

  auto all = ok(agent, "shell_read", {{"shell_id", sh.id}, {"cursor", 0}, {"max_bytes", 1 << 20}});
  CHECK(all["offset"] == 0);
  CHECK(all["missed"] == 0);
  std::string replay = data_of(all);
  CHECK(replay.size() >= sh.seen.size());
  CHECK(replay.substr(0, sh.seen.size()) == sh.seen);
  CHECK(all["shell"]["shell_id"] == sh.id);
}

TEST_CASE("agent shells: a waiting read blocks until output comes") {
  AgentUnderTest agent(true);
  ShellSession sh(agent);
  // The command prints only once the test makes `go`.
  const std::string go = agent.root() + "/go";
  sh.write("while [ ! -e " + go + " ]; do sleep 0.01; done; echo DONE''MARK\n");
  sh.read_until("DONE''MARK\r\n");  // the echo of the input line
  // Drain what bash prints right after the echo (terminal mode escapes).
  for (int i = 0; i < 5; ++i) {
    auto r = ok(agent, "shell_read", {{"shell_id", sh.id}, {"cursor", sh.cursor}, {"wait_ms", 100}});
    if (data_of(r).empty()) break;
    sh.cursor += data_of(r).size();
  }
  // Nothing yet without waiting; a waiting read then returns the output made meanwhile.
  auto now = ok(agent, "shell_read", {{"shell_id", sh.id}, {"cursor", sh.cursor}, {"wait_ms", 0}});
  CHECK(data_of(now).find("DONEMARK") == std::string::npos);
  std::ofstream(go).put('\n');
  auto r = ok(agent, "shell_read", {{"shell_id", sh.id}, {"cursor", sh.cursor}, {"wait_ms", 60000}});
  CHECK(data_of(r).find("DONEMARK") != std::string::npos);
}

TEST_CASE("agent shells: resize is seen by stty") {
  AgentUnderTest agent(true);
  ShellSession sh(agent, {{"cols", 90}, {"rows", 20}});
  sh.write("stty size\n");
  sh.read_until_line("20 90");
  auto st = ok(agent, "shell_resize", {{"shell_id", sh.id}, {"cols", 100}, {"rows", 30}});
  CHECK(st["cols"] == 100);
  CHECK(st["rows"] == 30);
  sh.write("stty size\n");
  sh.read_until_line("30 100");
}

TEST_CASE("agent shells: INT interrupts the foreground command") {
  AgentUnderTest agent(true);
  ShellSession sh(agent);
  // The foreground command says its pid; signal once it is the terminal's foreground
  // process group (before that, the INT would reach the shell, which ignores it).
  const std::string pidfile = agent.root() + "/fg.pid";
  sh.write("sh -c 'echo $$ > " + pidfile + "; exec sleep 100'\n");
  pid_t fg = 0;
  pyro::test::wait_until([&] { return (fg = pid_in(pidfile)) > 0 && is_foreground(fg); }, std::chrono::seconds(30),
                         "the `sleep` to be the shell's foreground job");
  ok(agent, "shell_signal", {{"shell_id", sh.id}, {"signal", "INT"}});
  sh.write("echo AF''TER\n");
  sh.read_until("AFTER");
}

TEST_CASE("agent shells: exit keeps output until close; close forgets") {
  AgentUnderTest agent(true);
  ShellSession sh(agent);
  sh.write("echo BYE''BYE; exit 5\n");
  sh.read_until("BYEBYE");
  json st;
  for (int i = 0; i < 200; ++i) {
    st = ok(agent, "shell_read", {{"shell_id", sh.id}, {"cursor", sh.cursor}, {"wait_ms", 100}});
    sh.cursor += data_of(st).size();
    if (st["finished"] == true && st["shell"]["state"] == "exited") break;
  }
  CHECK(st["finished"] == true);
  CHECK(st["shell"]["state"] == "exited");
  CHECK(st["shell"]["exit_code"] == 5);
  CHECK(st["shell"]["pid"] == 0);
  auto replay = ok(agent, "shell_read", {{"shell_id", sh.id}});
  CHECK(data_of(replay).find("BYEBYE") != std::string::npos);
  auto w = agent.call("shell_write", {{"shell_id", sh.id}, {"data", pyro::protocol::base64_encode("x")}});
  CHECK(w.response.error_code == "failed_precondition");
  CHECK(ok(agent, "shell_close", {{"shell_id", sh.id}}) == json::object());
  CHECK(agent.call("shell_read", {{"shell_id", sh.id}}).response.error_code == "not_found");

  // Closing a running shell ends it within the grace time.
  ShellSession live(agent);
  CHECK(ok(agent, "shell_close", {{"shell_id", live.id}}) == json::object());
  CHECK(agent.call("shell_write", {{"shell_id", live.id}, {"data", "eA=="}}).response.error_code == "not_found");
}

TEST_CASE("agent shells: argument errors") {
  AgentUnderTest agent(true);
  CHECK(agent.call("shell_open", {{"cols", 0}}).response.error_code == "invalid_argument");
  CHECK(agent.call("shell_open", {{"rows", 1001}}).response.error_code == "invalid_argument");
  CHECK(agent.call("shell_open", {{"cwd", "/nonexistent/x"}}).response.error_code == "not_found");
  CHECK(agent.call("shell_read", {{"shell_id", "sh-00000000"}}).response.error_code == "not_found");
  ShellSession sh(agent);
  CHECK(agent.call("shell_signal", {{"shell_id", sh.id}, {"signal", "BOGUS"}}).response.error_code == "invalid_argument");
  CHECK(agent.call("shell_write", {{"shell_id", sh.id}, {"data", "!!"}}).response.error_code == "invalid_argument");
  CHECK(agent.call("shell_write", {{"shell_id", sh.id}, {"data", pyro::protocol::base64_encode(std::string(65537, 'a'))}})
            .response.error_code == "invalid_argument");
  CHECK(agent.call("shell_resize", {{"shell_id", sh.id}, {"cols", 10}}).response.error_code == "invalid_argument");
}

TEST_CASE("agent shells: at most 16 open; a closed one frees its place") {
  AgentUnderTest agent(true);
  std::vector<std::string> ids;
  for (int i = 0; i < 16; ++i) ids.push_back(ok(agent, "shell_open", json::object())["shell_id"].get<std::string>());
  CHECK(agent.call("shell_open", json::object()).response.error_code == "resource_exhausted");
  ok(agent, "shell_close", {{"shell_id", ids.back()}});
  ids.pop_back();
  ids.push_back(ok(agent, "shell_open", json::object())["shell_id"].get<std::string>());
  for (const auto& id : ids) ok(agent, "shell_close", {{"shell_id", id}});
}

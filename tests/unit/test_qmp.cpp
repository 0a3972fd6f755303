// The QMP client against a scripted fake QEMU on a unix socket.
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "../wait_until.hpp"
#include "backend/qemu/qmp_client.hpp"
#include "util/unix_socket.hpp"

namespace pyro::detail {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::string temp_socket_path(const char* tag) {
  return "/tmp/pyro-test-qmp-" + std::to_string(::getpid()) + "-" + tag + ".sock";
}

// The server side of one connection: reads newline-terminated commands.
class FakeQemu {
 public:
  explicit FakeQemu(UniqueFd fd) : fd_(std::move(fd)) {}

  json read_command() {
    for (;;) {
      auto nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        json j = json::parse(buffer_.substr(0, nl));
        buffer_.erase(0, nl + 1);
        return j;
      }
      char chunk[1024];
      size_t n = read_some(fd_.get(), chunk, sizeof(chunk), deadline_after(60s), "client");
      if (n == 0) return json();
      buffer_.append(chunk, n);
    }
  }
  void send(const json& j) { write_all(fd_.get(), j.dump() + "\r\n", deadline_after(60s), "client"); }
  void close() { fd_.reset(); }

 private:
  UniqueFd fd_;
  std::string buffer_;
};

const json kGreeting = {
    {"QMP", {{"version", {{"qemu", {{"major", 7}, {"minor", 2}, {"micro", 22}}}}}, {"capabilities", {"oob"}}}}};

// Runs `script` as the server of one connection in a thread.
class Server {
 public:
  Server(const std::string& path, std::function<void(FakeQemu&)> script)
      : path_(path), listener_(listen_unix(path)) {
    thread_ = std::thread([this, script = std::move(script)] {
      try {
        FakeQemu peer(accept_unix(listener_.get(), deadline_after(60s)));
        script(peer);
      } catch (...) {
        failed_ = true;
      }
    });
  }
  ~Server() {
    thread_.join();
    ::unlink(path_.c_str());
  }
  bool failed() const { return failed_; }

 private:
  std::string path_;
  UniqueFd listener_;
  std::thread thread_;
  bool failed_ = false;
};

}  // namespace

TEST_CASE("qmp handshake, events between replies, and error replies") {
  const std::string path = temp_socket_path("a");
  json seen_capabilities, seen_status, seen_migrate;
  {
    Server server(path, [&](FakeQemu& peer) {
      peer.send(kGreeting);
      seen_capabilities = peer.read_command();
      peer.send({{"return", json::object()}, {"id", seen_capabilities["id"]}});
      seen_status = peer.read_command();
      peer.send({{"event", "RESUME"}, {"timestamp", {{"seconds", 1}, {"microseconds", 2}}}});
      peer.send({{"return", {{"status", "stale"}}}, {"id", 999}});  // a reply to someone else
      peer.send({{"return", {{"status", "running"}, {"running", true}}}, {"id", seen_status["id"]}});
      seen_migrate = peer.read_command();
      peer.send({{"error", {{"class", "GenericError"}, {"desc", "no migration"}}}, {"id", seen_migrate["id"]}});
      json quit = peer.read_command();
      peer.send({{"return", json::object()}, {"id", quit["id"]}});
      peer.send({{"event", "SHUTDOWN"}});
      peer.close();
    });

    QmpClient qmp = QmpClient::connect(path, deadline_after(60s));
    CHECK(qmp.greeting()["version"]["qemu"]["major"] == 7);

    json status = qmp.execute("query-status", deadline_after(60s));
    CHECK(status["status"] == "running");
    auto events = qmp.take_events();
    REQUIRE(events.size() == 1);
    CHECK(events[0]["event"] == "RESUME");
    CHECK(qmp.take_events().empty());

    try {
      qmp.execute("migrate", {{"uri", "exec:cat > /dev/null"}}, deadline_after(60s));
      FAIL("an error reply must throw");
    } catch (const QmpCommandError& e) {
      CHECK(e.error_class() == "GenericError");
      CHECK(std::string(e.what()).find("no migration") != std::string::npos);
    }

    CHECK(qmp.execute("quit", deadline_after(60s)).empty());
    // The peer closed: the next command fails instead of hanging.
    CHECK_THROWS_AS(qmp.execute("query-status", deadline_after(60s)), Error);
    CHECK_FALSE(server.failed());
  }
  CHECK(seen_capabilities["execute"] == "qmp_capabilities");
  CHECK(seen_status["execute"] == "query-status");
  CHECK_FALSE(seen_status.contains("arguments"));
  CHECK(seen_migrate["arguments"]["uri"] == "exec:cat > /dev/null");
}

TEST_CASE("qmp connect waits for the socket to appear") {
  const std::string path = temp_socket_path("b");
  ::unlink(path.c_str());
  // The server appears once the client has failed to connect at least once.
  std::atomic<bool> missed{false};
  std::thread late([&] {
    if (!pyro::test::poll_until([&] { return missed.load(); }, 30s)) return;  // connect then fails the test
    Server server(path, [](FakeQemu& peer) {
      peer.send(kGreeting);
      json caps = peer.read_command();
      peer.send({{"return", json::object()}, {"id", caps["id"]}});
      peer.read_command();  // until the client goes away
    });
  });
  {
    QmpClient qmp = QmpClient::connect(path, deadline_after(60s), [&] {
      missed = true;
      return true;
    });
    CHECK(qmp.greeting().contains("capabilities"));
  }
  late.join();
  CHECK(missed);
}

TEST_CASE("qmp connect and execute respect deadlines") {
  const std::string path = temp_socket_path("c");
  ::unlink(path.c_str());
  try {
    QmpClient::connect(path, deadline_after(200ms));
    FAIL("connect to a missing socket must fail");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kDeadlineExceeded);
  }

  // keep_trying == false gives up at once.
  try {
    QmpClient::connect(path, deadline_after(10s), [] { return false; });
    FAIL("connect must give up");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kUnavailable);
  }

  // A server that never replies to a command.
  Server server(path, [](FakeQemu& peer) {
    peer.send(kGreeting);
    json caps = peer.read_command();
    peer.send({{"return", json::object()}, {"id", caps["id"]}});
    peer.read_command();  // swallow query-status
    peer.read_command();  // until the client goes away
  });
  QmpClient qmp = QmpClient::connect(path, deadline_after(60s));
  try {
    qmp.execute("query-status", deadline_after(200ms));
    FAIL("execute must time out");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kDeadlineExceeded);
  }
}

}  // namespace pyro::detail

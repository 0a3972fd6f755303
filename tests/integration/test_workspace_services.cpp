// Services, shells, secrets and network policies of workspaces on real VMs
// (docs/workspaces.md). Every network test touches only 127.0.0.1 on the host.
#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../wait_until.hpp"
#include "pyro/pyro.hpp"
#include "workspace_test_support.hpp"

namespace fs = std::filesystem;
using pyro_test::client;
using pyro_test::code_of;
using pyro_test::WorkspaceGuard;

namespace {

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// A TCP listener on 127.0.0.1 with a kernel-chosen port.
struct LoopbackListener {
  Fd sock{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  uint16_t port = 0;
  LoopbackListener() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(::bind(sock.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(sock.fd, 4) == 0);
    REQUIRE(::getsockname(sock.fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
  }
  // What the first connection within `timeout_ms` sent, or nullopt when none came.
  std::optional<std::string> accept_one(int timeout_ms) {
    pollfd p{sock.fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return std::nullopt;
    Fd conn{::accept(sock.fd, nullptr, nullptr)};
    if (conn.fd < 0) return std::nullopt;
    std::string got;
    char buf[256];
    for (;;) {
      pollfd q{conn.fd, POLLIN, 0};
      if (::poll(&q, 1, 3000) <= 0) break;
      ssize_t n = ::read(conn.fd, buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    return got;
  }
};

// GET / from 127.0.0.1:port; the whole response, or "" when nothing answered.
std::string http_get_once(uint32_t port) {
  {
    Fd s{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (::connect(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      const std::string req = "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
      if (::write(s.fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
        std::string got;
        char buf[4096];
        for (;;) {
          pollfd p{s.fd, POLLIN, 0};
          if (::poll(&p, 1, 5000) <= 0) break;
          ssize_t n = ::read(s.fd, buf, sizeof buf);
          if (n <= 0) break;
          got.append(buf, static_cast<size_t>(n));
        }
        if (!got.empty()) return got;
      }
    }
  }
  return "";
}

// http_get_once until something answers or `patience` passed: long when an answer is
// expected, short when the point is that nothing answers.
std::string http_get(uint32_t port, std::chrono::milliseconds patience = std::chrono::seconds(60)) {
  std::string got;
  pyro::test::poll_until([&] { return !(got = http_get_once(port)).empty(); }, patience,
                         std::chrono::milliseconds(250));
  return got;
}

// Reads a shell from `cursor` until its output contains `needle` (or 30 s pass).
std::string read_shell_until(const std::string& ws, const std::string& shell, int64_t& cursor,
                             const std::string& needle) {
  std::string seen;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (seen.find(needle) == std::string::npos && std::chrono::steady_clock::now() < until) {
    auto out = client().read_shell(ws, shell, {.cursor = cursor, .wait_seconds = 3});
    seen += out.chunk.output;
    cursor = out.chunk.next_cursor;
  }
  return seen;
}

// Every service log read from cursor 0 in small pieces.
std::string read_log_in_pieces(const std::string& ws, const std::string& name) {
  std::string all;
  int64_t cursor = 0;
  for (int i = 0; i < 200; ++i) {
    auto logs = client().logs_service(ws, name, {.cursor = cursor, .max_bytes = 7});
    all += logs.chunk.output;
    if (logs.chunk.next_cursor == cursor && !logs.chunk.more) break;
    cursor = logs.chunk.next_cursor;
  }
  return all;
}

// True when `needle` occurs in the file (read in overlapping blocks: disks are large).
bool file_contains(const fs::path& path, const std::string& needle) {
  std::ifstream in(path, std::ios::binary);
  std::string carry;
  std::string block(1 << 20, '\0');
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    std::string window = carry + block.substr(0, static_cast<size_t>(in.gcount()));
    if (window.find(needle) != std::string::npos) return true;
    carry = window.size() >= needle.size() ? window.substr(window.size() - needle.size() + 1) : window;
  }
  return false;
}

// Files under `root` (boot sets excluded: they predate every secret) that contain `needle`.
std::vector<std::string> files_containing(const fs::path& root, const std::string& needle) {
  std::vector<std::string> hits;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->path().filename() == "environments") {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec) && !it->is_symlink(ec) && file_contains(it->path(), needle)) {
      hits.push_back(it->path().string());
    }
  }
  return hits;
}

pyro::ServiceInfo wait_for_state(const std::string& ws, const std::string& name, const std::string& state) {
  pyro::ServiceInfo s;
  pyro::test::poll_until([&] { return (s = client().status_service(ws, name)).state == state; },
                         std::chrono::seconds(60), std::chrono::milliseconds(100));
  return s;
}

}  // namespace

TEST_CASE("an http service is reachable through its published port; stopping it closes the port") {
  auto ws = client().create_workspace(
      "busybox", {.network_policy = pyro::NetworkPolicy::kEgressPublishedPorts, .disk_mib = 64});
  WorkspaceGuard guard{ws.workspace_id};
  CHECK(ws.network_policy == pyro::NetworkPolicy::kEgressPublishedPorts);
  client().write_workspace_file(ws.workspace_id, "www/index.html", "hello from the guest\n");

  pyro::ServiceOptions options;
  options.readiness = {.type = "http", .url = "http://127.0.0.1:8080/", .timeout_seconds = 20};
  options.published_ports = {8080};
  auto web = client().start_service(ws.workspace_id, "web", "busybox httpd -f -p 0.0.0.0:8080 -h /workspace/www",
                                    options);
  CHECK(web.state == "running");
  CHECK(web.ready);
  CHECK(web.readiness == "http");
  REQUIRE(web.published_ports.size() == 1);
  const auto port = web.published_ports[0];
  CHECK(port.guest_port == 8080);
  CHECK(port.host == "127.0.0.1");
  CHECK(port.host_port > 0);

  const std::string response = http_get(port.host_port);
  CHECK(response.find("200") != std::string::npos);
  CHECK(response.find("hello from the guest") != std::string::npos);

  // Any later call (another process would do the same) sees the port.
  auto listed = client().list_services(ws.workspace_id);
  REQUIRE(listed.size() == 1);
  REQUIRE(listed[0].published_ports.size() == 1);
  CHECK(listed[0].published_ports[0].host_port == port.host_port);
  CHECK(code_of([&] { client().start_service(ws.workspace_id, "web", "true"); }) ==
        pyro::ErrorCode::kAlreadyExists);

  auto stopped = client().stop_service(ws.workspace_id, "web");
  CHECK(stopped.state == "stopped");
  CHECK(client().status_service(ws.workspace_id, "web").published_ports.empty());
  CHECK(http_get(port.host_port, std::chrono::seconds(3)).find("hello from the guest") == std::string::npos);
}

TEST_CASE("a service survives exec calls and ends with the workspace, its published port too") {
  auto ws = client().create_workspace(
      "busybox", {.network_policy = pyro::NetworkPolicy::kEgressPublishedPorts, .disk_mib = 64});
  WorkspaceGuard guard{ws.workspace_id};
  client().write_workspace_file(ws.workspace_id, "www/index.html", "still here\n");
  pyro::ServiceOptions options;
  options.readiness = {.type = "tcp", .port = 8081, .timeout_seconds = 20};
  options.published_ports = {8081};
  auto web = client().start_service(ws.workspace_id, "web", "exec busybox httpd -f -p 0.0.0.0:8081 -h /workspace/www",
                                    options);
  REQUIRE(web.published_ports.size() == 1);
  const uint32_t host_port = web.published_ports[0].host_port;

  // exec kills its own process group on timeout, never the service's.
  CHECK(client().exec_workspace(ws.workspace_id, "sleep 5", {.timeout_seconds = 0.5}).timed_out);
  CHECK(client().exec_workspace(ws.workspace_id, "wget -q -O - http://127.0.0.1:8081/").stdout_data == "still here\n");
  auto after = client().status_service(ws.workspace_id, "web");
  CHECK(after.state == "running");
  CHECK(after.pid == web.pid);
  CHECK(http_get(host_port).find("still here") != std::string::npos);

  client().stop_workspace(ws.workspace_id);
  CHECK(http_get(host_port, std::chrono::seconds(3)).find("still here") == std::string::npos);
  CHECK(code_of([&] { client().list_services(ws.workspace_id); }) == pyro::ErrorCode::kFailedPrecondition);
  client().start_workspace(ws.workspace_id);
  CHECK(client().list_services(ws.workspace_id).empty());
}

TEST_CASE("a service that never becomes ready fails with its logs; a crashing one reports its exit code") {
  auto ws = client().create_workspace("busybox", {.disk_mib = 64});
  WorkspaceGuard guard{ws.workspace_id};

  pyro::ServiceOptions never;
  never.readiness = {.type = "tcp", .port = 9999, .timeout_seconds = 2};
  try {
    client().start_service(ws.workspace_id, "slow", "echo warming-up-forever; sleep 1000", never);
    FAIL("start_service returned");
  } catch (const pyro::Error& e) {
    CHECK(e.code() == pyro::ErrorCode::kDeadlineExceeded);
    CHECK(std::string(e.what()).find("warming-up-forever") != std::string::npos);
  }
  CHECK(client().status_service(ws.workspace_id, "slow").state == "failed");

  auto crash = client().start_service(ws.workspace_id, "crash", "echo going down; sleep 0.3; exit 3");
  CHECK(crash.name == "crash");
  auto ended = wait_for_state(ws.workspace_id, "crash", "exited");
  CHECK(ended.state == "exited");
  CHECK(ended.exit_code == 3);
  auto logs = client().logs_service(ws.workspace_id, "crash");
  CHECK(logs.chunk.output == "going down\n");
  CHECK(logs.service.exit_code == 3);

  // Published ports need egress+published-ports.
  CHECK(code_of([&] {
          client().start_service(ws.workspace_id, "web", "sleep 100", {.published_ports = {8080}});
        }) == pyro::ErrorCode::kFailedPrecondition);
  CHECK(code_of([&] { client().start_service(ws.workspace_id, "bad name", "true"); }) ==
        pyro::ErrorCode::kInvalidArgument);
  CHECK(code_of([&] {
          client().start_service(ws.workspace_id, "r", "true", {.readiness = {.type = "udp"}});
        }) == pyro::ErrorCode::kInvalidArgument);
}

TEST_CASE("while start_service waits for readiness, exec and the service's logs go on in that workspace") {
  auto ws = client().create_workspace("busybox", {.disk_mib = 64});
  WorkspaceGuard guard{ws.workspace_id};
  pyro::ServiceOptions options;
  options.readiness = {.type = "file", .path = "ready", .timeout_seconds = 600, .interval_ms = 100};

  std::atomic<int> finished{0};  // counts operations as they complete
  std::atomic<int> start_rank{0};
  auto starting = std::async(std::launch::async, [&] {
    // Ready only once the test makes /tmp/late-go, after the calls it ranks against the start.
    auto info = client().start_service(ws.workspace_id, "late",
                                       "echo booting; while [ ! -e /tmp/late-go ]; do sleep 0.1; done; "
                                       "touch ready; exec sleep 1000",
                                       options);
    start_rank = ++finished;
    return info;
  });

  // Its log, while it starts (not_found until start_service reached the agent).
  pyro::ServiceLogs logs;
  pyro::test::wait_until(
      [&] {
        try {
          logs = client().logs_service(ws.workspace_id, "late", {.wait_seconds = 1});
        } catch (const pyro::Error& e) {
          REQUIRE(e.code() == pyro::ErrorCode::kNotFound);
        }
        return !logs.chunk.output.empty();
      },
      std::chrono::seconds(120), "the first log line of service `late`", std::chrono::milliseconds(50));
  const int logs_rank = ++finished;
  CHECK(logs.chunk.output == "booting\n");
  CHECK(logs.service.state == "starting");

  auto hi = client().exec_workspace(ws.workspace_id, "echo hi");
  const int exec_rank = ++finished;
  CHECK(hi.stdout_data == "hi\n");
  client().exec_workspace(ws.workspace_id, "touch /tmp/late-go");

  auto info = starting.get();
  CHECK(info.state == "running");
  CHECK(info.ready);
  // Both finished before start_service did, which waited for the readiness they released.
  const int started = start_rank.load();
  CHECK(logs_rank < started);
  CHECK(exec_rank < started);
  CHECK(client().exec_workspace(ws.workspace_id, "test -e ready").exit_code == 0);

  // A stop while it starts makes the start fail.
  pyro::ServiceOptions absent = options;
  absent.readiness.path = "absent";
  auto never = std::async(std::launch::async, [&]() -> std::pair<pyro::ErrorCode, std::string> {
    try {
      client().start_service(ws.workspace_id, "never", "echo never-ready; exec sleep 1000", absent);
    } catch (const pyro::Error& e) {
      return {e.code(), e.what()};
    }
    return {pyro::ErrorCode::kOk, ""};
  });
  std::string state;
  pyro::test::wait_until(
      [&] {
        try {
          state = client().status_service(ws.workspace_id, "never").state;
        } catch (const pyro::Error& e) {
          REQUIRE(e.code() == pyro::ErrorCode::kNotFound);
        }
        return state == "starting";
      },
      std::chrono::seconds(120), "service `never` to be starting", std::chrono::milliseconds(50));
  CHECK(client().stop_service(ws.workspace_id, "never").state == "stopped");
  auto [code, error_message] = never.get();
  const auto& message = error_message;  // clang 14 cannot capture a structured binding
  CHECK(code == pyro::ErrorCode::kFailedPrecondition);
  CHECK_MESSAGE(message.find("stopped before it was ready") != std::string::npos, message);
  CHECK_MESSAGE(message.find("never-ready") != std::string::npos, message);
}

TEST_CASE("a shell keeps cd and variables across writes and replays from a cursor") {
  auto ws = client().create_workspace("busybox", {.disk_mib = 64});
  WorkspaceGuard guard{ws.workspace_id};
  auto shell = client().open_shell(ws.workspace_id, {.cols = 100, .rows = 30});
  CHECK(shell.state == "running");
  CHECK(shell.cols == 100);

  client().write_shell(ws.workspace_id, shell.shell_id, "cd /tmp; GREETING=hi-there\n");
  client().write_shell(ws.workspace_id, shell.shell_id, "echo \"where=$(pwd) what=$GREETING\"\n");
  int64_t cursor = 0;
  const std::string seen = read_shell_until(ws.workspace_id, shell.shell_id, cursor, "where=/tmp what=hi-there");
  CHECK(seen.find("where=/tmp what=hi-there") != std::string::npos);

  // A client that reconnects replays everything from 0, or the rest from any cursor.
  auto replay = client().read_shell(ws.workspace_id, shell.shell_id, {.cursor = 0});
  CHECK(replay.chunk.output.substr(0, seen.size()) == seen);
  auto rest = client().read_shell(ws.workspace_id, shell.shell_id, {.cursor = 5});
  CHECK(rest.chunk.cursor == 5);
  CHECK(rest.chunk.output == replay.chunk.output.substr(5));

  CHECK(client().resize_shell(ws.workspace_id, shell.shell_id, 80, 24).cols == 80);
  CHECK(code_of([&] { client().resize_shell(ws.workspace_id, shell.shell_id, 0, 24); }) ==
        pyro::ErrorCode::kInvalidArgument);
  client().signal_shell(ws.workspace_id, shell.shell_id, "INT");
  client().close_shell(ws.workspace_id, shell.shell_id);
  CHECK(code_of([&] { client().read_shell(ws.workspace_id, shell.shell_id); }) == pyro::ErrorCode::kNotFound);
}

TEST_CASE("a secret used by exec, shell and service never appears unredacted, nor on disk outside its file") {
  const std::string secret = "pyro-test-secret-7f3a9c2e51";
  const std::string file_secret = "from-a-file-0b8d4e6a";
  pyro_test::TempDir dir;
  std::ofstream(dir.path / "token") << file_secret;
  auto ws = client().create_workspace(
      "busybox", {.disk_mib = 64,
                  .secrets = {{.name = "api-token", .value = secret},
                              {.name = "file-token", .file_path = (dir.path / "token").string()}}});
  WorkspaceGuard guard{ws.workspace_id};
  CHECK(ws.secret_names == std::vector<std::string>{"api-token", "file-token"});

  // exec: the process gets the value; the output shows none of it.
  auto r = client().exec_workspace(ws.workspace_id, "echo \"t=$TOK\"; echo \"f=$FTOK\" >&2; echo len=${#TOK}",
                                   {.secret_env = {{"TOK", "api-token"}, {"FTOK", "file-token"}}});
  CHECK(r.stdout_data == "t=[REDACTED]\nlen=" + std::to_string(secret.size()) + "\n");
  CHECK(r.stderr_data == "f=[REDACTED]\n");
  CHECK(code_of([&] { client().exec_workspace(ws.workspace_id, "true", {.secret_env = {{"X", "nope"}}}); }) ==
        pyro::ErrorCode::kNotFound);
  CHECK(code_of([&] {
          client().exec_workspace(ws.workspace_id, "true",
                                  {.env = {{"X", "1"}}, .secret_env = {{"X", "api-token"}}});
        }) == pyro::ErrorCode::kInvalidArgument);
  // Errors are redacted too: a cwd that names the value.
  try {
    client().start_service(ws.workspace_id, "x", "true", {.cwd = "/nonexistent/" + secret});
  } catch (const pyro::Error& e) {
    CHECK(std::string(e.what()).find(secret) == std::string::npos);
  }

  // shell
  auto shell = client().open_shell(ws.workspace_id, {.secret_env = {{"TOK", "api-token"}}});
  client().write_shell(ws.workspace_id, shell.shell_id, "echo \"shell:$TOK:end\"\n");
  int64_t cursor = 0;
  std::string shell_out = read_shell_until(ws.workspace_id, shell.shell_id, cursor, "shell:[REDACTED]:end");
  CHECK(shell_out.find("shell:[REDACTED]:end") != std::string::npos);
  CHECK(shell_out.find(secret) == std::string::npos);

  // service: a log read in 7-byte pieces cuts the value everywhere.
  client().start_service(ws.workspace_id, "leaky", "for i in 1 2 3 4 5 6; do echo \"svc $i $TOK\"; done; sleep 100",
                         {.secret_env = {{"TOK", "api-token"}}});
  pyro::test::wait_until(
      [&] {
        auto last = client().logs_service(ws.workspace_id, "leaky", {.tail_lines = 1}).chunk.output;
        return last.rfind("svc 6 ", 0) == 0;
      },
      std::chrono::seconds(60), "service `leaky` to print its sixth line");
  const std::string pieces = read_log_in_pieces(ws.workspace_id, "leaky");
  CHECK(pieces.find(secret.substr(0, 8)) == std::string::npos);
  CHECK(pieces.find("svc 6 [REDACTED]") != std::string::npos);
  auto tail = client().logs_service(ws.workspace_id, "leaky", {.tail_lines = 2});
  CHECK(tail.chunk.output == "svc 5 [REDACTED]\nsvc 6 [REDACTED]\n");

  // Nothing on the host holds the values but their own files, snapshots included.
  client().create_snapshot(ws.workspace_id, "after-secrets");
  const fs::path home = client().home();
  const fs::path store = fs::path(ws.path) / "secrets";
  for (const std::string& value : {secret, file_secret}) {
    const auto hits = files_containing(home, value);
    CHECK(hits.size() == 1);  // the scan does find the value: in its own file
    for (const auto& hit : hits) {
      CHECK_MESSAGE(fs::path(hit).parent_path() == store, "the secret is in " << hit);
    }
  }
  client().stop_workspace(ws.workspace_id);
  for (const auto& hit : files_containing(home, secret)) {
    CHECK_MESSAGE(fs::path(hit).parent_path() == store, "the secret is in " << hit);
  }
  CHECK(fs::exists(store / "api-token"));
  CHECK((fs::status(store / "api-token").permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
}

TEST_CASE("secret arguments are checked before anything boots") {
  CHECK(code_of([] {
          client().create_workspace("busybox", {.secrets = {{.name = "a", .value = "v", .file_path = "/x"}}});
        }) == pyro::ErrorCode::kInvalidArgument);
  CHECK(code_of([] {
          client().create_workspace("busybox", {.secrets = {{.name = "a", .file_path = "/nonexistent/pyro-x"}}});
        }) == pyro::ErrorCode::kNotFound);
  CHECK(code_of([] { client().run_in_vm("busybox", "true", {}, {.secret_env = {{"A", "b"}}}); }) ==
        pyro::ErrorCode::kInvalidArgument);
}

TEST_CASE("network policy: off reaches no host loopback service; egress reaches it through 10.0.2.2") {
  LoopbackListener listener;
  const std::string port = std::to_string(listener.port);

  auto off = client().create_workspace("busybox", {.disk_mib = 64});
  WorkspaceGuard off_guard{off.workspace_id};
  CHECK_FALSE(off.network);
  for (const std::string host : {"10.0.2.2", "127.0.0.1"}) {
    auto r = client().exec_workspace(off.workspace_id, "echo knock | nc -w 2 " + host + " " + port);
    CHECK(r.exit_code != 0);
  }
  CHECK_FALSE(listener.accept_one(200).has_value());

  auto egress = client().create_workspace("busybox", {.network_policy = pyro::NetworkPolicy::kEgress, .disk_mib = 64});
  WorkspaceGuard egress_guard{egress.workspace_id};
  auto accepted = std::async(std::launch::async, [&] { return listener.accept_one(20000); });
  auto r = client().exec_workspace(egress.workspace_id, "echo knock | nc -w 2 10.0.2.2 " + port);
  auto got = accepted.get();
  REQUIRE(got.has_value());
  CHECK(*got == "knock\n");
  CHECK(code_of([&] {
          client().start_service(egress.workspace_id, "web", "sleep 100", {.published_ports = {8080}});
        }) == pyro::ErrorCode::kFailedPrecondition);
}

namespace {

// A PEM-like multi-line value: terminals show it with "\r\n" line ends.
const std::string kPemSecret =
    "-----BEGIN PYRO TEST KEY-----\n"
    "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n"
    "KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQJAIJLixBy2qpFoS4DSmoEm\n"
    "-----END PYRO TEST KEY-----";
const std::vector<std::string> kPemLines = {"BEGIN PYRO TEST KEY", "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf",
                                            "KUpRKfFLfRYC9AIKjbJTWit", "END PYRO TEST KEY"};

// The first line of the key that `text` shows, or "" when it shows none.
std::string leaked_line(const std::string& text) {
  for (const auto& line : kPemLines) {
    if (text.find(line) != std::string::npos) return line;
  }
  return "";
}

// Every message the library logs while it lives.
struct LogCapture {
  std::mutex mu;
  std::vector<std::string> messages;
  LogCapture() {
    pyro::set_log_handler(pyro::LogLevel::kDebug, [this](pyro::LogLevel, std::string_view m) {
      std::lock_guard lock(mu);
      messages.emplace_back(m);
    });
  }
  ~LogCapture() { pyro::set_log_handler(pyro::LogLevel::kOff, {}); }
  std::vector<std::string> all() {
    std::lock_guard lock(mu);
    return messages;
  }
};

pyro::WorkspaceInfo wait_for_crash(const std::string& ws) {
  pyro::WorkspaceInfo info;
  pyro::test::poll_until([&] { return (info = client().status_workspace(ws)).state == pyro::WorkspaceState::kCrashed; },
                         std::chrono::seconds(60), std::chrono::milliseconds(50));
  return info;
}

}  // namespace

TEST_CASE("a multi-line secret stays redacted in shell and exec output and in a crash reason from the console") {
  LogCapture logs;
  auto ws = client().create_workspace("busybox", {.secrets = {{.name = "key", .value = kPemSecret}}});
  WorkspaceGuard guard{ws.workspace_id};

  // exec: plain pipes, the value as it is.
  auto r = client().exec_workspace(ws.workspace_id, "printf '%s\\n' \"$KEY\"; echo end", {.secret_env = {{"KEY", "key"}}});
  CHECK(r.stdout_data == "[REDACTED]\nend\n");

  // shell: the PTY turns every "\n" of the value into "\r\n".
  auto shell = client().open_shell(ws.workspace_id, {.secret_env = {{"KEY", "key"}}});
  client().write_shell(ws.workspace_id, shell.shell_id, "printf '%s\\n' \"$KEY\"; echo \"done-$((6*7))\"\n");
  int64_t cursor = 0;
  const std::string shell_out = read_shell_until(ws.workspace_id, shell.shell_id, cursor, "done-42");
  CHECK(shell_out.find("done-42") != std::string::npos);
  CHECK(shell_out.find("[REDACTED]") != std::string::npos);
  CHECK_MESSAGE(leaked_line(shell_out).empty(), "the shell shows " << leaked_line(shell_out));
  client().close_shell(ws.workspace_id, shell.shell_id);

  // The guest prints the value on its console (a tty too), then resets at once (sysrq `b`).
  std::string exec_error;
  try {
    client().exec_workspace(ws.workspace_id,
                            "printf '%s\\n' \"$KEY\" > /dev/console; echo \"last-words-$((6*7))\" > /dev/console; "
                            "echo b > /proc/sysrq-trigger; sleep 30",
                            {.timeout_seconds = 60, .secret_env = {{"KEY", "key"}}});
    FAIL("the exec that crashed the guest returned");
  } catch (const pyro::Error& e) {
    exec_error = e.what();
    CHECK(e.code() == pyro::ErrorCode::kVmCrashed);
  }
  CHECK_MESSAGE(leaked_line(exec_error).empty(), "the exec error shows " << leaked_line(exec_error));

  // The agent's connection may close a moment before the VMM process is gone.
  const auto status = wait_for_crash(ws.workspace_id);
  REQUIRE(status.state == pyro::WorkspaceState::kCrashed);
  // The console's end is there (the keeper kept it), with the value redacted.
  CHECK(status.crash_reason.find("last-words-42") != std::string::npos);
  CHECK(status.crash_reason.find("[REDACTED]") != std::string::npos);
  CHECK_MESSAGE(leaked_line(status.crash_reason).empty(), "the crash reason shows " << leaked_line(status.crash_reason));
  for (const auto& w : client().list_workspaces()) {
    CHECK_MESSAGE(leaked_line(w.crash_reason).empty(), "list shows " << leaked_line(w.crash_reason));
  }
  bool logged_death = false;
  for (const auto& m : logs.all()) {
    logged_death = logged_death || m.find("its VMM died") != std::string::npos;
    CHECK_MESSAGE(leaked_line(m).empty(), "a log line shows " << leaked_line(m) << ": " << m);
  }
  CHECK(logged_death);

  // On disk: only the secret's own file, and the record is private.
  const fs::path home = client().home();
  const fs::path store = fs::path(ws.path) / "secrets";
  for (const auto& line : kPemLines) {
    for (const auto& hit : files_containing(home, line)) {
      CHECK_MESSAGE(fs::path(hit).parent_path() == store, "`" << line << "` is in " << hit);
    }
  }
  CHECK((fs::status(fs::path(ws.path) / "workspace.json").permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  for (const char* dir : {"", "environments", "workspaces", "run"}) {
    CAPTURE(dir);
    CHECK((fs::status(home / dir).permissions() & fs::perms::all) == fs::perms::owner_all);
  }
}

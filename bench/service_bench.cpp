// service_bench.cpp — service and shell series of pyro_bench, through pyro::Pyro only.
// One workspace with network_policy egress+published-ports serves all series.
//
// service_start_ready_ms        start_service of busybox httpd with http readiness, until ready
// service_first_response_ms     start_service + the first HTTP 200 through the published port
// service_http_get_ms           one GET from the host through the published port (hostfwd)
// service_stop_ms               stop_service (SIGTERM, the server exits at once)
// service_logs_ms               logs_service of the last 100 lines
// shell_open_ms                 open_shell until the shell is running
// shell_roundtrip_ms            write_shell("echo marker\n") + read_shell until the marker is back
// shell_close_ms                close_shell
// exec_echo_ms                  exec_workspace("echo marker") in the same workspace, for comparison
// shell_roundtrip_vs_exec       shell_roundtrip p50 / exec_echo p50 (same run)
#include "service_bench.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_stats.hpp"
#include "pyro/pyro.hpp"
#include "workspace_guard.hpp"

namespace pyro_bench {
namespace {

constexpr uint32_t kGuestPort = 8080;

// GET / on 127.0.0.1:port; returns the whole response ("" when the connection failed).
std::string http_get(uint32_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
      char buf[4096];
      for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) response.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return response;
}

bool is_ok(const std::string& response) { return response.rfind("HTTP/1.0 200", 0) == 0 || response.rfind("HTTP/1.1 200", 0) == 0; }

pyro::ServiceOptions httpd_options() {
  pyro::ServiceOptions o;
  o.readiness.type = "http";
  o.readiness.url = fmt::format("http://127.0.0.1:{}/", kGuestPort);
  o.readiness.interval_ms = 20;
  o.published_ports = {kGuestPort};
  return o;
}

}  // namespace

nlohmann::json run_service_series(const std::string& environment, int runs) {
  pyro::Pyro client;
  pyro::WorkspaceOptions options;
  options.network_policy = pyro::NetworkPolicy::kEgressPublishedPorts;
  auto info = client.create_workspace(environment, options);
  WorkspaceGuard ws(client, info.workspace_id);
  const std::string id = ws.id();
  client.write_workspace_file(id, "www/index.html", "<p>pyro bench</p>\n");
  const std::string command = fmt::format("httpd -f -p 0.0.0.0:{} -h /workspace/www", kGuestPort);

  std::vector<double> start_ready, first_response, get, stop, logs;
  for (int i = 0; i < runs; ++i) {
    auto t = Clock::now();
    auto service = client.start_service(id, "web", command, httpd_options());
    start_ready.push_back(ms_since(t));
    if (service.published_ports.size() != 1) throw std::runtime_error("start_service published no port");
    const uint32_t host_port = service.published_ports[0].host_port;
    // slirp may accept before the guest listens: retry until the answer is a 200.
    std::string response;
    for (int attempt = 0; attempt < 200 && !is_ok(response); ++attempt) response = http_get(host_port);
    if (!is_ok(response)) throw std::runtime_error("no HTTP 200 through the published port");
    first_response.push_back(ms_since(t));
    for (int g = 0; g < 5; ++g) {
      auto tg = Clock::now();
      if (!is_ok(http_get(host_port))) throw std::runtime_error("a GET through the published port failed");
      get.push_back(ms_since(tg));
    }
    auto tl = Clock::now();
    client.logs_service(id, "web");
    logs.push_back(ms_since(tl));
    auto ts = Clock::now();
    client.stop_service(id, "web");
    stop.push_back(ms_since(ts));
  }

  std::vector<double> open, roundtrip, close;
  for (int i = 0; i < runs; ++i) {
    auto t = Clock::now();
    auto shell = client.open_shell(id);
    open.push_back(ms_since(t));
    int64_t cursor = 0;
    for (int r = 0; r < 5; ++r) {
      const std::string marker = fmt::format("bench-marker-{}-{}", i, r);
      auto tr = Clock::now();
      // The marker is built by the shell, so the echo of the typed line never matches.
      client.write_shell(id, shell.shell_id, fmt::format("echo bench-marker-{}-$((0+{}))\n", i, r));
      std::string seen;
      while (seen.find(marker) == std::string::npos) {
        auto out = client.read_shell(id, shell.shell_id, {.cursor = cursor, .wait_seconds = 5});
        if (out.chunk.next_cursor == cursor) throw std::runtime_error("the shell did not answer within 5 s");
        cursor = out.chunk.next_cursor;
        seen += out.chunk.output;
      }
      roundtrip.push_back(ms_since(tr));
    }
    auto tc = Clock::now();
    client.close_shell(id, shell.shell_id);
    close.push_back(ms_since(tc));
  }

  std::vector<double> exec_echo;
  for (int i = 0; i < runs * 5; ++i) {
    auto t = Clock::now();
    auto r = client.exec_workspace(id, fmt::format("echo bench-marker-{}", i));
    exec_echo.push_back(ms_since(t));
    if (r.exit_code != 0) throw std::runtime_error("exec of echo failed");
  }

  return {
      {"exec_echo_ms", summarize(exec_echo)},
      {"shell_roundtrip_vs_exec", std::round(median(roundtrip) / median(exec_echo) * 10) / 10},
      {"service_start_ready_ms", summarize(start_ready)},
      {"service_first_response_ms", summarize(first_response)},
      {"service_http_get_ms", summarize(get)},
      {"service_logs_ms", summarize(logs)},
      {"service_stop_ms", summarize(stop)},
      {"shell_open_ms", summarize(open)},
      {"shell_roundtrip_ms", summarize(roundtrip)},
      {"shell_close_ms", summarize(close)},
  };
}

}  // namespace pyro_bench

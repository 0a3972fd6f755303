// One readiness attempt of each type. No getaddrinfo: the agent is static, so hosts
// are IPv4 literals or `localhost`.
#include "readiness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>

#include "process_params.hpp"
#include "spawn.hpp"

namespace pyro::agent {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int64_t kHttpAttemptMs = 2000;
constexpr int64_t kCommandAttemptMs = 10000;
constexpr const char* kMethod = "service_start";

struct HttpUrl {
  in_addr addr{};
  uint16_t port = 80;
  std::string host;
  std::string path = "/";
};

// Parses "http://HOST[:PORT][/PATH]"; false when it is not of that form.
bool parse_url(const std::string& url, HttpUrl& out) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return false;
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) out.path = rest.substr(slash);
  size_t colon = authority.find(':');
  out.host = authority.substr(0, colon);
  if (colon != std::string::npos) {
    std::string port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit)) return false;
    int p = std::stoi(port);
    if (p < 1 || p > 65535) return false;
    out.port = static_cast<uint16_t>(p);
  }
  if (out.path.find_first_of(" \r\n") != std::string::npos) return false;
  std::string host = out.host == "localhost" ? "127.0.0.1" : out.host;
  return ::inet_pton(AF_INET, host.c_str(), &out.addr) == 1;
}

std::string lower_first(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

int ms_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::max<int64_t>(left, 0));
}

struct Fd {
  int fd = -1;
  ~Fd() { if (fd >= 0) ::close(fd); }
};

// Connects within the deadline; "" on success, else why not.
std::string connect_tcp(Fd& sock, in_addr addr, uint16_t port, Clock::time_point deadline) {
  sock.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (sock.fd < 0) return lower_first(std::strerror(errno));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr = addr;
  if (::connect(sock.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) return "";
  if (errno != EINPROGRESS) return lower_first(std::strerror(errno));
  pollfd p{sock.fd, POLLOUT, 0};
  int r;
  while ((r = ::poll(&p, 1, ms_left(deadline))) < 0 && errno == EINTR) {
  }
  if (r == 0) return "connect timed out";
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(sock.fd, SOL_SOCKET, SO_ERROR, &err, &len);
  return err == 0 ? "" : lower_first(std::strerror(err));
}

std::string check_http(const ReadinessSpec& spec, Clock::time_point deadline) {
  HttpUrl url;
  if (!parse_url(spec.url, url)) return "not a plain http URL";
  Fd sock;
  if (std::string why = connect_tcp(sock, url.addr, url.port, deadline); !why.empty()) return why;
  std::string request = "GET " + url.path + " HTTP/1.0\r\nHost: " + url.host +
                        "\r\nConnection: close\r\nUser-Agent: pyro-agent\r\n\r\n";
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(sock.fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      pollfd p{sock.fd, POLLOUT, 0};
      if (::poll(&p, 1, ms_left(deadline)) == 0) return "send timed out";
      continue;
    }
    return "send: " + lower_first(std::strerror(errno));
  }
  std::string head;
  while (head.find("\r\n") == std::string::npos && head.size() < 4096) {
    pollfd p{sock.fd, POLLIN, 0};
    int r = ::poll(&p, 1, ms_left(deadline));
    if (r == 0) return "no answer within " + std::to_string(kHttpAttemptMs) + " ms";
    if (r < 0 && errno == EINTR) continue;
    char buf[1024];
    ssize_t n = ::recv(sock.fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) return "receive: " + lower_first(std::strerror(errno));
    if (n == 0) break;
    head.append(buf, static_cast<size_t>(n));
  }
  // "HTTP/1.x NNN reason"
  if (head.rfind("HTTP/", 0) != 0) return head.empty() ? "connection closed without an answer" : "not an HTTP answer";
  size_t space = head.find(' ');
  if (space == std::string::npos || head.size() < space + 4 ||
      !std::all_of(head.begin() + static_cast<long>(space) + 1, head.begin() + static_cast<long>(space) + 4,
                   ::isdigit)) {
    return "malformed status line";
  }
  int status = std::stoi(head.substr(space + 1, 3));
  if (status >= 200 && status <= 299) return "";
  return "status " + std::to_string(status);
}

std::string check_command(const ReadinessSpec& spec, const CheckContext& ctx, int64_t budget_ms) {
  auto watch = std::make_shared<ExitWatch>();
  SpawnSpec s;
  s.argv = {"/bin/sh", "-c", spec.command};
  s.env = ctx.env;
  s.cwd = ctx.cwd;
  pid_t pid;
  try {
    pid = spawn_watched(*ctx.reaper, watch, s, "readiness command");
  } catch (const std::exception& e) {
    return e.what();
  }
  if (!watch->wait(static_cast<int>(std::min(budget_ms, kCommandAttemptMs)))) {
    ctx.reaper->kill_group(pid, SIGKILL);
    watch->wait(2000);
    return "did not finish within " + std::to_string(std::min(budget_ms, kCommandAttemptMs)) + " ms";
  }
  int code = exit_code_of(watch->status());
  return code == 0 ? "" : "exit status " + std::to_string(code);
}

}  // namespace

ReadinessSpec parse_readiness(const json& params) {
  ReadinessSpec spec;
  auto it = params.find("readiness");
  if (it == params.end() || it->is_null()) return spec;
  const json& r = *it;
  if (!r.is_object()) invalid_param(kMethod, "`readiness` is not an object");
  if (!r.contains("type")) invalid_param(kMethod, "`readiness.type` is missing");
  spec.type = param_string(r["type"], kMethod, "readiness.type");
  auto need = [&](const char* field) -> std::string {
    if (!r.contains(field) || r[field].is_null()) {
      invalid_param(kMethod, "readiness `" + spec.type + "` needs `" + field + "`");
    }
    std::string v = param_string(r[field], kMethod, field);
    if (v.empty()) invalid_param(kMethod, std::string("`readiness.") + field + "` is empty");
    return v;
  };
  if (spec.type == "file") {
    spec.path = need("path");
  } else if (spec.type == "tcp") {
    spec.port = static_cast<uint16_t>(param_uint(r, kMethod, "port", 0, 1, 65535));
    if (spec.port == 0) invalid_param(kMethod, "readiness `tcp` needs `port`");
  } else if (spec.type == "http") {
    spec.url = need("url");
    HttpUrl url;
    if (!parse_url(spec.url, url)) {
      invalid_param(kMethod, "readiness url `" + spec.url +
                                 "`: only http:// with an IPv4 address or localhost is supported");
    }
  } else if (spec.type == "command") {
    spec.command = need("command");
  } else {
    invalid_param(kMethod, "`readiness.type` must be file, tcp, http or command");
  }
  spec.timeout_ms = static_cast<int64_t>(param_uint(r, kMethod, "timeout_ms", 30000, 1, 600000));
  spec.interval_ms = static_cast<int64_t>(param_uint(r, kMethod, "interval_ms", 200, 1, 60'000));
  return spec;
}

CheckOutcome check_ready(const ReadinessSpec& spec, const CheckContext& ctx, int64_t budget_ms) noexcept {
  CheckOutcome out;
  budget_ms = std::max<int64_t>(budget_ms, 10);
  try {
    std::string why, what;
    if (spec.type == "file") {
      what = "file " + spec.path;
      std::string path = spec.path[0] == '/' ? spec.path : ctx.cwd + "/" + spec.path;
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) why = lower_first(std::strerror(errno));
    } else if (spec.type == "tcp") {
      what = "tcp 127.0.0.1:" + std::to_string(spec.port);
      Fd sock;
      in_addr lo{};
      lo.s_addr = htonl(INADDR_LOOPBACK);
      why = connect_tcp(sock, lo, spec.port, Clock::now() + std::chrono::milliseconds(std::min<int64_t>(budget_ms, kHttpAttemptMs)));
    } else if (spec.type == "http") {
      what = "http " + spec.url;
      why = check_http(spec, Clock::now() + std::chrono::milliseconds(std::min(budget_ms, kHttpAttemptMs)));
    } else if (spec.type == "command") {
      what = "command `" + spec.command + "`";
      why = check_command(spec, ctx, budget_ms);
    } else {
      out.ok = true;
      return out;
    }
    out.ok = why.empty();
    if (!out.ok) out.reason = what + ": " + why;
  } catch (const std::exception& e) {
    out.reason = spec.type + ": " + e.what();
  }
  return out;
}

}  // namespace pyro::agent

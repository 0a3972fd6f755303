// The real `pyro-agent --socket PATH [--workspace-root DIR]` binary on the host,
// driven through the agent protocol over a unix socket the test listens on. Shared
// by the agent unit tests.
#pragma once

#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <sstream>
#include <string>
#include <vector>

#include "../wait_until.hpp"
#include "protocol/base64.hpp"
#include "protocol/frame.hpp"
#include "protocol/message.hpp"

#ifndef PYRO_AGENT_BINARY
#error "PYRO_AGENT_BINARY must name the pyro-agent binary"
#endif

namespace pyro::test {

namespace proto = pyro::protocol;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

inline int ms_since(Clock::time_point t) {
  return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count());
}

// The pid a command wrote to `file`; 0 while there is none (yet).
inline pid_t pid_in(const std::string& file) {
  std::ifstream f(file);
  pid_t pid = 0;
  f >> pid;
  return pid;
}

// The fields of /proc/<pid>/stat after the command name, state first (then ppid, pgrp,
// session, tty_nr, tpgid, ...); empty once the process is gone.
inline std::vector<std::string> proc_stat(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')');
  std::vector<std::string> fields;
  if (close == std::string::npos) return fields;
  std::istringstream rest(stat.substr(close + 1));
  for (std::string field; rest >> field;) fields.push_back(field);
  return fields;
}

// Everything the agent sent on one exec stream.
struct ExecOutcome {
  std::string out;
  std::string err;
  proto::Response response;
  int data_frames = 0;
};

class AgentUnderTest {
 public:
  /// With `with_root`, the agent serves the workspace root `root()` (a fresh directory).
  explicit AgentUnderTest(bool with_root = false) {
    char tmpl[] = "/tmp/pyro-agent-test-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    std::string sock = dir_ + "/agent.sock";
    root_ = dir_ + "/root";
    if (with_root) std::filesystem::create_directory(root_);
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, sock.c_str(), sizeof addr.sun_path - 1);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 4) != 0) {
      throw std::runtime_error("listen on test socket failed");
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      int log = ::open((dir_ + "/agent.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (log >= 0) ::dup2(log, 2);
      if (with_root) {
        ::execl(PYRO_AGENT_BINARY, "pyro-agent", "--socket", sock.c_str(), "--workspace-root", root_.c_str(),
                static_cast<char*>(nullptr));
      } else {
        ::execl(PYRO_AGENT_BINARY, "pyro-agent", "--socket", sock.c_str(), static_cast<char*>(nullptr));
      }
      ::_exit(127);
    }
    hello_ = accept_connection();
  }

  ~AgentUnderTest() {
    if (fd_ >= 0) ::close(fd_);
    if (pid_ > 0 && !exited_) {
      // EOF makes the agent exit 0; kill it if it does not within 2 s.
      if (!wait_exit(2000)) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
      }
    }
    ::close(listen_fd_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Accepts the agent's (next) connection and returns its hello event.
  json accept_connection() {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 3000) != 1) throw std::runtime_error("agent did not connect");
    if (fd_ >= 0) ::close(fd_);
    fd_ = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    decoder_ = proto::FrameDecoder();
    auto hello = read_frame(3000);
    if (!hello || hello->type != proto::FrameType::kEvent || hello->stream != 0) {
      throw std::runtime_error("agent did not send the hello event");
    }
    return proto::parse_payload(*hello);
  }

  void send_raw(const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send to agent failed");
      done += static_cast<size_t>(n);
    }
  }

  void send(const proto::Frame& f) { send_raw(proto::encode_frame(f)); }

  uint32_t request(std::string_view method, const json& params) {
    uint32_t stream = next_stream_;
    next_stream_ += 2;
    send(proto::make_request(stream, method, params));
    return stream;
  }

  std::optional<proto::Frame> read_frame(int timeout_ms) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      if (auto f = decoder_.next()) return f;
      int left = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
      if (left <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, left) <= 0) continue;
      char buf[65536];
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) return std::nullopt;
      if (!decoder_.feed(std::string_view(buf, static_cast<size_t>(n)))) {
        throw std::runtime_error("agent sent a malformed frame: " + decoder_.error());
      }
    }
  }

  // Reads until every stream in `streams` has its response; returns them all.
  std::map<uint32_t, ExecOutcome> collect(std::set<uint32_t> streams, int timeout_ms = 30000) {
    std::map<uint32_t, ExecOutcome> out;
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!streams.empty()) {
      int left = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
      auto f = read_frame(std::max(left, 0));
      if (!f) throw std::runtime_error("timed out waiting for agent responses");
      REQUIRE(streams.count(f->stream) == 1);
      ExecOutcome& o = out[f->stream];
      if (f->type == proto::FrameType::kData) {
        auto split = proto::split_data(*f);
        REQUIRE(split);
        CHECK(split->second.size() <= proto::kMaxDataChunk);
        (split->first == proto::Channel::kStdout ? o.out : o.err).append(split->second);
        ++o.data_frames;
      } else {
        REQUIRE(f->type == proto::FrameType::kResponse);
        CHECK(f->flags == proto::kFlagEndStream);
        o.response = proto::parse_response(*f);
        streams.erase(f->stream);
      }
    }
    return out;
  }

  ExecOutcome call(std::string_view method, const json& params, int timeout_ms = 30000) {
    uint32_t s = request(method, params);
    return collect({s}, timeout_ms)[s];
  }

  // Waits for the agent process to exit; returns true with its wait status stored.
  bool wait_exit(int timeout_ms) {
    exited_ = poll_until([&] { return ::waitpid(pid_, &status_, WNOHANG) == pid_; },
                         std::chrono::milliseconds(timeout_ms));
    return exited_;
  }
  int status() const { return status_; }
  const json& hello() const { return hello_; }
  const std::string& root() const { return root_; }
  const std::string& dir() const { return dir_; }
  void close_connection() {
    ::close(fd_);
    fd_ = -1;
  }

 private:
  std::string dir_;
  std::string root_;
  int listen_fd_ = -1;
  int fd_ = -1;
  pid_t pid_ = -1;
  bool exited_ = false;
  int status_ = 0;
  uint32_t next_stream_ = 1;
  proto::FrameDecoder decoder_;
  json hello_;
};

/// Calls `method` and requires success; returns the result.
inline nlohmann::json ok(AgentUnderTest& agent, std::string_view method, const nlohmann::json& params,
                         int timeout_ms = 8000) {
  auto o = agent.call(method, params, timeout_ms);
  std::string why = std::string(method) + ": " + o.response.error_code + ": " + o.response.error_message;
  REQUIRE_MESSAGE(o.response.ok, why);
  return o.response.result;
}

/// The decoded `data` of a ring read result (service_logs, shell_read).
inline std::string data_of(const nlohmann::json& read) {
  return pyro::protocol::base64_decode(read["data"].get<std::string>()).value();
}

}  // namespace pyro::test

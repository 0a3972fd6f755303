// A scripted, possibly lying agent on the far end of a socketpair, for the host's
// reply checks (guest_reply, agent_files, exec). Each request the host sends is
// handed to the script, which answers with whatever frames it likes.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "agent/agent_connection.hpp"
#include "protocol/frame.hpp"
#include "protocol/message.hpp"

namespace pyro::test {

class FakeAgent {
 public:
  // The far end of the connection: what a script uses to answer.
  struct Peer {
    int fd;
    bool send(const protocol::Frame& f) const {
      const std::string bytes = protocol::encode_frame(f);
      size_t done = 0;
      while (done < bytes.size()) {
        ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (n <= 0) return false;  // the host hung up: stop
        done += static_cast<size_t>(n);
      }
      return true;
    }
    bool data(uint32_t stream, std::string_view bytes) const {
      return send(protocol::make_data_frame(stream, protocol::Channel::kStdout, bytes));
    }
    bool result(uint32_t stream, const nlohmann::json& r) const { return send(protocol::make_response(stream, r)); }
  };
  using Script = std::function<void(const Peer&, const std::string& method, const nlohmann::json& params,
                                    uint32_t stream)>;

  explicit FakeAgent(Script script) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) throw std::runtime_error("socketpair");
    peer_fd_ = fds[1];
    conn_.emplace(detail::UniqueFd(fds[0]), detail::DeathCheck{});
    thread_ = std::thread([this, script = std::move(script)] {
      protocol::FrameDecoder decoder;
      char buf[65536];
      for (;;) {
        ssize_t n = ::read(peer_fd_, buf, sizeof buf);
        if (n <= 0 || !decoder.feed(std::string_view(buf, static_cast<size_t>(n)))) return;
        while (auto f = decoder.next()) {
          nlohmann::json req = protocol::parse_payload(*f);
          script(Peer{peer_fd_}, req.value("method", ""), req.value("params", nlohmann::json::object()), f->stream);
        }
      }
    });
  }
  ~FakeAgent() {
    conn_.reset();  // the host hangs up: the script's sends fail and the thread ends
    ::shutdown(peer_fd_, SHUT_RDWR);
    thread_.join();
    ::close(peer_fd_);
  }
  FakeAgent(const FakeAgent&) = delete;
  FakeAgent& operator=(const FakeAgent&) = delete;

  detail::AgentConnection& conn() { return *conn_; }

 private:
  int peer_fd_ = -1;
  std::optional<detail::AgentConnection> conn_;
  std::thread thread_;
};

/// A manifest/list entry as the agent writes it.
inline nlohmann::json entry(const std::string& path, const std::string& type, uint64_t size = 0) {
  nlohmann::json e = {{"path", path}, {"type", type}, {"size", size}, {"mode", 0644}, {"mtime", 0}};
  if (type == "file") e["sha256"] = std::string(64, 'a');
  return e;
}

}  // namespace pyro::test

// pyro-agent: PID 1 of every pyro VM. Serves the agent protocol on the virtio-serial
// port `pyro.agent` (or on a unix socket with --socket, for host-side tests).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/reboot.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "agent.hpp"
#include "connection.hpp"
#include "log.hpp"
#include "port.hpp"
#include "protocol/message.hpp"
#include "reaper.hpp"

namespace {

using namespace std::chrono_literals;
using pyro::agent::Agent;
using pyro::agent::Connection;
using pyro::agent::log_line;

constexpr auto kRetryInterval = 50ms;
constexpr auto kSocketRetryLimit = 2s;  // test mode: the listener is gone for good after this

struct Options {
  std::string socket_path;     // empty: virtio-serial mode
  std::string workspace_root;  // empty: /workspace, once workspace_mount has mounted it
};

enum class EndReason { kEof, kMalformed };

// Pipes must never land on fds 0-2 (the child dup2s onto them), so fill any gap.
void ensure_std_fds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
      int n = ::open("/dev/null", O_RDWR);
      if (n >= 0 && n != fd) ::close(n);
    }
  }
}

int open_virtio() {
  bool logged = false;
  for (;;) {
    std::string path = pyro::agent::find_virtio_port(pyro::agent::kPortName);
    if (!path.empty()) {
      int fd = pyro::agent::open_port(path);
      if (fd >= 0) {
        pyro::agent::wait_host_connected(fd);
        return fd;
      }
      if (!logged) log_line("open port `" + path + "`: " + std::strerror(errno) + "; retrying");
    } else if (!logged) {
      log_line(std::string("find port `") + pyro::agent::kPortName + "`: not present yet; retrying");
    }
    logged = true;
    std::this_thread::sleep_for(kRetryInterval);
  }
}

int open_socket(const std::string& path) {
  auto give_up = std::chrono::steady_clock::now() + kSocketRetryLimit;
  for (;;) {
    int fd = pyro::agent::connect_unix(path);
    if (fd >= 0) return fd;
    if (std::chrono::steady_clock::now() >= give_up) {
      log_line("connect to `" + path + "`: " + std::strerror(errno));
      return -1;
    }
    std::this_thread::sleep_for(kRetryInterval);
  }
}

EndReason serve(Agent& agent, const std::shared_ptr<Connection>& conn) {
  pyro::protocol::FrameDecoder decoder;
  std::string buf(64 * 1024, '\0');
  for (;;) {
    pollfd p{conn->fd(), POLLIN, 0};
    if (::poll(&p, 1, -1) < 0 && errno != EINTR) {
      log_line(std::string("poll port: ") + std::strerror(errno));
      return EndReason::kEof;
    }
    ssize_t n = ::read(conn->fd(), buf.data(), buf.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n < 0) {
      log_line(std::string("connection closed: read: ") + std::strerror(errno));
      return EndReason::kEof;
    }
    if (n == 0) {
      log_line("connection closed: end of file");
      return EndReason::kEof;
    }
    if (!decoder.feed(std::string_view(buf.data(), static_cast<size_t>(n)))) {
      log_line("connection closed: malformed frame: " + decoder.error());
      return EndReason::kMalformed;
    }
    while (auto frame = decoder.next()) agent.handle(conn, *frame);
  }
}

int run(const Options& options) {
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGCHLD, SIG_DFL);  // SIG_IGN would auto-reap and break waitpid
  ensure_std_fds();

  pyro::agent::Reaper reaper;
  reaper.start();
  Agent agent(reaper, ::getpid() == 1, options.workspace_root);
  const bool socket_mode = !options.socket_path.empty();

  for (;;) {
    int fd = socket_mode ? open_socket(options.socket_path) : open_virtio();
    if (fd < 0) agent.terminate(1);
    auto conn = std::make_shared<Connection>(fd);
    // The hello event tells the host we are up without it writing into a port nobody reads.
    if (!conn->send(pyro::protocol::make_event("hello", agent.hello_fields()))) {
      log_line("send hello: connection broken; reopening");
      conn->close();
      std::this_thread::sleep_for(kRetryInterval);
      continue;
    }
    EndReason reason = serve(agent, conn);
    conn->close();  // exec threads still holding it drop their frames from now on
    if (socket_mode && reason == EndReason::kEof) agent.terminate();
    std::this_thread::sleep_for(kRetryInterval);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--version") {
      std::printf("%s\n", pyro::agent::kAgentVersion);
      return 0;
    }
    if (arg == "--socket" && i + 1 < argc) {
      options.socket_path = argv[++i];
      continue;
    }
    if (arg == "--workspace-root" && i + 1 < argc) {
      options.workspace_root = argv[++i];
      continue;
    }
    std::fprintf(stderr, "usage: pyro-agent [--version] [--socket PATH] [--workspace-root DIR]\n");
    return 2;
  }
  try {
    return run(options);
  } catch (const std::exception& e) {
    log_line(std::string("fatal: ") + e.what());
  }
  // As PID 1, power off so QEMU exits now (the message is already on the console)
  // instead of leaving the host to wait for its boot deadline.
  if (::getpid() == 1) {
    ::sync();
    ::reboot(RB_POWER_OFF);
  }
  return 1;
}

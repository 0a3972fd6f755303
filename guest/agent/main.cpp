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
// After a malformed frame: the port counts as drained once no byte came for this long.
constexpr int kDrainQuietMs = 100;

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

// The port is opened once and held for the agent's whole life: virtio_console lets
// one opener have a port at a time, so while we hold it any other guest process's
// open() fails with EBUSY, also in the gaps between two host connections. (A root
// guest can still steal the fd, e.g. by ptrace of PID 1: the host trusts no reply.)
int open_virtio_for_life() {
  bool logged = false;
  for (;;) {
    std::string path = pyro::agent::find_virtio_port(pyro::agent::kPortName);
    if (!path.empty()) {
      int fd = pyro::agent::open_port(path);
      if (fd >= 0) return fd;
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

// The fd of the next host connection: a new socket connection in test mode, else a
// dup of the held port once a host is connected to it.
int next_connection(const Options& options, int held_port) {
  if (held_port < 0) return open_socket(options.socket_path);
  pyro::agent::wait_host_connected(held_port);
  int fd = pyro::agent::dup_port(held_port);
  if (fd < 0) log_line(std::string("dup port: ") + std::strerror(errno));
  return fd;
}

int run(const Options& options) {
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGCHLD, SIG_DFL);  // SIG_IGN would auto-reap and break waitpid
  ensure_std_fds();

  pyro::agent::Reaper reaper;
  reaper.start();
  Agent agent(reaper, ::getpid() == 1, options.workspace_root);
  const bool socket_mode = !options.socket_path.empty();
  const int held_port = socket_mode ? -1 : open_virtio_for_life();
  if (held_port >= 0) pyro::agent::notify_host_changes(held_port);

  for (;;) {
    int fd = next_connection(options, held_port);
    if (fd < 0) agent.terminate(1);
    auto conn = std::make_shared<Connection>(fd);
    // The hello event tells the host we are up without it writing into a port
    // nobody reads. It also starts a new framing session: each connection has its
    // own decoder (serve), and the host resends its hello request on this event.
    if (!conn->send(pyro::protocol::make_event("hello", agent.hello_fields()))) {
      log_line("send hello: connection broken; waiting for the host");
      conn->close();
      std::this_thread::sleep_for(kRetryInterval);
      continue;
    }
    EndReason reason = serve(agent, conn);
    conn->close();  // exec threads still holding it drop their frames from now on; the port stays held
    if (socket_mode && reason == EndReason::kEof) agent.terminate();
    // Framing across host connections: an end of file means the previous host hung
    // up and every byte it sent was read (virtio_console reports EOF only once the
    // port is empty), so the next connection starts clean. A malformed frame means
    // the bytes of two hosts ran together (the agent missed a hang-up: a host left
    // in the middle of a frame and the next one connected before we looked): drop
    // what is queued until the port is quiet, then greet anew; the host resends its
    // hello request on our hello event, so nothing of a well-behaved host is lost.
    if (reason == EndReason::kMalformed && held_port >= 0) {
      size_t dropped = pyro::agent::drain_port(held_port, kDrainQuietMs);
      log_line("dropped " + std::to_string(dropped) + " stale bytes from the port");
    }
    if (socket_mode) std::this_thread::sleep_for(kRetryInterval);
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

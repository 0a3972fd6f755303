// Fuzz target: the host's side of an agent connection (lib/agent/agent_connection)
// reading what a hostile guest wrote: after a control byte, the input is the whole
// byte stream from the guest, written into a socketpair before the host reads it. The host waits for
// the hello event, then makes calls until the stream ends; every failure must be
// a pyro::Error (agent_protocol, vm_crashed, ...), never a crash or another exception.
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/agent_connection.hpp"
#include "pyro/error.hpp"
#include "util/unique_fd.hpp"

namespace {

// Larger inputs would not fit in the socket buffer written up front.
constexpr size_t kMaxInput = 128 * 1024;

bool write_all(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pyro::detail;
  if (size == 0 || size > kMaxInput) return 0;
  // The control byte says whether the channel is shared (replies to other
  // streams are then skipped instead of refused).
  const bool shared = (data[0] & 1) != 0;
  ++data;
  --size;
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
  UniqueFd guest(fds[1]);
  int buf = 4 * static_cast<int>(kMaxInput);
  ::setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  ::setsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  if (!write_all(guest.get(), data, size)) std::abort();
  ::shutdown(guest.get(), SHUT_WR);

  AgentConnection conn{UniqueFd(fds[0]), DeathCheck{}, shared};
  const Deadline deadline = deadline_after(std::chrono::seconds(5));
  try {
    conn.wait_hello(deadline);
    for (;;) {
      conn.call("exec", {{"command", "true"}}, deadline,
                [](pyro::protocol::Channel, std::string_view) {});
    }
  } catch (const pyro::Error&) {
  }
  return 0;
}

// The `restore` method: reseeds the kernel RNG, sets the wall clock and gives the
// clone its own hostname and machine-id.
#include "restore.hpp"

#include <fcntl.h>
#include <linux/random.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>

#include "agent_error.hpp"
#include "protocol/base64.hpp"
#include "log.hpp"

namespace pyro::agent {
namespace {

using nlohmann::json;

constexpr size_t kMinSeedBytes = 32;
constexpr size_t kMaxSeedBytes = 4096;
constexpr size_t kMaxHostnameBytes = 64;  // HOST_NAME_MAX on Linux

[[noreturn]] void invalid(const std::string& message) {
  throw AgentError("invalid_argument", "restore: " + message);
}

std::string errno_text() { return std::strerror(errno); }

std::string string_param(const json& params, const char* name) {
  auto it = params.find(name);
  if (it == params.end() || !it->is_string()) invalid(std::string("`") + name + "` must be a string");
  return it->get<std::string>();
}

bool valid_hostname(const std::string& name) {
  if (name.empty() || name.size() > kMaxHostnameBytes) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok) return false;
  }
  return name.front() != '-' && name.front() != '.';
}

bool valid_machine_id(const std::string& id) {
  if (id.size() != 32) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Mixes `seed` into the input pool and forces the CRNG to rekey from it. Without
// the reseed, /dev/urandom would keep the key the snapshot captured for up to a
// minute, and every clone would read the same bytes.
void reseed_rng(const std::string& seed) {
  int fd = ::open("/dev/urandom", O_RDWR | O_CLOEXEC);
  if (fd < 0) throw AgentError("internal", "restore: open `/dev/urandom`: " + errno_text());
  const size_t size = sizeof(rand_pool_info) + seed.size();
  std::unique_ptr<char[]> buf(new char[size]());
  auto* info = reinterpret_cast<rand_pool_info*>(buf.get());
  info->entropy_count = static_cast<int>(seed.size() * 8);
  info->buf_size = static_cast<int>(seed.size());
  std::memcpy(info->buf, seed.data(), seed.size());
  if (::ioctl(fd, RNDADDENTROPY, info) != 0) {
    std::string why = errno_text();
    ::close(fd);
    throw AgentError("internal", "restore: add entropy: " + why);
  }
  if (::ioctl(fd, RNDRESEEDCRNG) != 0) {
    std::string why = errno_text();
    ::close(fd);
    throw AgentError("internal", "restore: reseed the crng: " + why);
  }
  ::close(fd);
}

void set_realtime(int64_t realtime_ns) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(realtime_ns / 1000000000);
  ts.tv_nsec = static_cast<long>(realtime_ns % 1000000000);
  if (::clock_settime(CLOCK_REALTIME, &ts) != 0) {
    throw AgentError("internal", "restore: set the clock: " + errno_text());
  }
}

// Replaces `path` with `content` if the filesystem lets us; a read-only /etc is
// not an error (the clone just keeps the template's file).
void write_if_writable(const char* path, const std::string& content) {
  int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
  if (fd < 0) {
    if (errno != EROFS && errno != EACCES && errno != ENOENT && errno != EPERM) {
      log_line(std::string("restore: open `") + path + "`: " + errno_text());
    }
    return;
  }
  ssize_t n = ::write(fd, content.data(), content.size());
  if (n != static_cast<ssize_t>(content.size())) {
    log_line(std::string("restore: write `") + path + "`: " + (n < 0 ? errno_text() : "short write"));
  }
  ::close(fd);
}

}  // namespace

void run_restore(const json& params, bool in_vm) {
  if (!params.is_object()) invalid("params must be an object");
  const auto decoded = protocol::base64_decode(string_param(params, "seed"));
  if (!decoded) invalid("`seed` is not base64");
  const std::string& seed = *decoded;
  if (seed.size() < kMinSeedBytes || seed.size() > kMaxSeedBytes) {
    invalid("`seed` must decode to 32..4096 bytes");
  }
  auto rt = params.find("realtime_ns");
  if (rt == params.end() || !rt->is_number_integer() || rt->get<int64_t>() <= 0) {
    invalid("`realtime_ns` must be a positive integer");
  }
  const std::string hostname = string_param(params, "hostname");
  if (!valid_hostname(hostname)) invalid("`hostname` must be 1..64 letters, digits, '-' or '.'");
  const std::string machine_id = string_param(params, "machine_id");
  if (!valid_machine_id(machine_id)) invalid("`machine_id` must be 32 lowercase hex digits");

  if (!in_vm) {
    throw AgentError("failed_precondition",
                     "restore: the agent is not PID 1 of a VM; refusing to change this machine");
  }
  reseed_rng(seed);
  set_realtime(rt->get<int64_t>());
  if (::sethostname(hostname.data(), hostname.size()) != 0) {
    throw AgentError("internal", "restore: set the hostname: " + errno_text());
  }
  write_if_writable("/etc/hostname", hostname + "\n");
  write_if_writable("/etc/machine-id", machine_id + "\n");
}

}  // namespace pyro::agent

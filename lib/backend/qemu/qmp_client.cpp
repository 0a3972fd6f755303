#include "backend/qemu/qmp_client.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <fmt/format.h>

#include "util/unix_socket.hpp"

namespace pyro::detail {
namespace {

// QEMU's replies are small; a peer sending megabytes without a newline is broken.
constexpr size_t kMaxMessageBytes = 16u << 20;
constexpr auto kConnectRetryInterval = std::chrono::milliseconds(5);

}  // namespace

QmpCommandError::QmpCommandError(const std::string& command, std::string error_class,
                                 const std::string& desc)
    : Error(ErrorCode::kInternal, fmt::format("qmp command `{}`: {}: {}", command, error_class, desc)),
      error_class_(std::move(error_class)) {}

QmpClient QmpClient::connect(const std::string& socket_path, Deadline deadline,
                             const std::function<bool()>& keep_trying) {
  UniqueFd fd;
  std::error_code ec;
  for (;;) {
    fd = connect_unix(socket_path, ec);
    if (fd) break;
    if (keep_trying && !keep_trying()) {
      throw Error(ErrorCode::kUnavailable,
                  fmt::format("connect to qmp `{}`: the vmm went away ({})", socket_path, ec.message()));
    }
    if (Clock::now() >= deadline) {
      throw Error(ErrorCode::kDeadlineExceeded,
                  fmt::format("connect to qmp `{}`: deadline exceeded ({})", socket_path, ec.message()));
    }
    std::this_thread::sleep_for(kConnectRetryInterval);
  }
  QmpClient client(std::move(fd), socket_path);
  nlohmann::json greeting = client.read_message(deadline);
  if (!greeting.is_object() || !greeting.contains("QMP")) {
    throw Error(ErrorCode::kUnavailable,
                fmt::format("connect to qmp `{}`: unexpected greeting {}", socket_path, greeting.dump()));
  }
  client.greeting_ = greeting["QMP"];
  client.execute("qmp_capabilities", deadline);
  return client;
}

nlohmann::json QmpClient::read_message(Deadline deadline) {
  for (;;) {
    size_t newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      try {
        return nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception& e) {
        throw Error(ErrorCode::kInternal,
                    fmt::format("read from qmp `{}`: invalid json: {}", path_, e.what()));
      }
    }
    if (buffer_.size() > kMaxMessageBytes) {
      throw Error(ErrorCode::kInternal, fmt::format("read from qmp `{}`: message too large", path_));
    }
    char chunk[4096];
    size_t n = read_some(fd_.get(), chunk, sizeof(chunk), deadline, fmt::format("qmp `{}`", path_));
    if (n == 0) {
      throw Error(ErrorCode::kUnavailable, fmt::format("read from qmp `{}`: connection closed", path_));
    }
    buffer_.append(chunk, n);
  }
}

namespace {

// One byte with `fd` attached as SCM_RIGHTS. A fresh QMP socket always has room
// for one byte, so this does not wait.
void send_first_byte_with_fd(int sock, char byte, int fd, const std::string& what) {
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  ssize_t n;
  do {
    n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n != 1) {
    throw Error(ErrorCode::kUnavailable, fmt::format("pass a descriptor to {}: {}", what,
                                                     n < 0 ? std::strerror(errno) : "nothing sent"));
  }
}

}  // namespace

nlohmann::json QmpClient::execute(const std::string& command, const nlohmann::json& arguments,
                                  Deadline deadline) {
  return send_and_wait(command, arguments, -1, deadline);
}

nlohmann::json QmpClient::execute_with_fd(const std::string& command, const nlohmann::json& arguments, int fd,
                                          Deadline deadline) {
  if (fd < 0) throw Error(ErrorCode::kInternal, fmt::format("qmp command `{}`: no descriptor to pass", command));
  return send_and_wait(command, arguments, fd, deadline);
}

nlohmann::json QmpClient::send_and_wait(const std::string& command, const nlohmann::json& arguments, int fd,
                                        Deadline deadline) {
  if (!fd_) throw Error(ErrorCode::kUnavailable, fmt::format("qmp command `{}`: not connected", command));
  // The id pairs a reply with its command, so a late reply to an earlier
  // command that timed out is never taken for this one's.
  const uint64_t id = next_id_++;
  nlohmann::json request = {{"execute", command}, {"id", id}};
  if (!arguments.is_null()) request["arguments"] = arguments;
  std::string text = request.dump() + "\n";
  if (fd >= 0) {
    // The descriptor rides on the first byte; QEMU keeps it for the command it reads.
    send_first_byte_with_fd(fd_.get(), text[0], fd, fmt::format("qmp `{}`", path_));
    text.erase(0, 1);
  }
  write_all(fd_.get(), text, deadline, fmt::format("qmp `{}`", path_));
  for (;;) {
    nlohmann::json message = read_message(deadline);
    if (!message.is_object()) continue;
    if (message.contains("event")) {
      events_.push_back(std::move(message));
      continue;
    }
    auto found = message.find("id");
    if (found == message.end() || *found != id) continue;  // stale or unsolicited
    if (auto ret = message.find("return"); ret != message.end()) return *ret;
    if (auto err = message.find("error"); err != message.end() && err->is_object()) {
      throw QmpCommandError(command, err->value("class", "GenericError"), err->value("desc", ""));
    }
    throw Error(ErrorCode::kInternal,
                fmt::format("qmp command `{}`: unexpected reply {}", command, message.dump()));
  }
}

std::vector<nlohmann::json> QmpClient::take_events() { return std::exchange(events_, {}); }

}  // namespace pyro::detail

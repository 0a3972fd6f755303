#include "backend/qemu/qmp_client.hpp"

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

nlohmann::json QmpClient::execute(const std::string& command, const nlohmann::json& arguments,
                                  Deadline deadline) {
  if (!fd_) throw Error(ErrorCode::kUnavailable, fmt::format("qmp command `{}`: not connected", command));
  // The id pairs a reply with its command, so a late reply to an earlier
  // command that timed out is never taken for this one's.
  const uint64_t id = next_id_++;
  nlohmann::json request = {{"execute", command}, {"id", id}};
  if (!arguments.is_null()) request["arguments"] = arguments;
  write_all(fd_.get(), request.dump() + "\n", deadline, fmt::format("qmp `{}`", path_));
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

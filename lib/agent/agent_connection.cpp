#include "agent/agent_connection.hpp"

#include <sys/random.h>
#include <unistd.h>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "protocol/message.hpp"
#include "pyro/error.hpp"
#include "util/logging.hpp"
#include "util/unix_socket.hpp"

namespace pyro::detail {
namespace {

// Waits are sliced so a dead VMM is noticed within this interval.
constexpr int kPollSliceMs = 50;

int remaining_ms(Deadline deadline) { return std::min(poll_timeout_ms(deadline), kPollSliceMs); }

std::string errno_text() { return std::strerror(errno); }

// Polls `fd` for `events` in slices until ready; throws on deadline or death.
void wait_ready(int fd, short events, Deadline deadline, const DeathCheck& dead,
                std::string_view what, const std::function<void()>& tick = {}) {
  for (;;) {
    if (tick) tick();
    if (dead) {
      if (auto why = dead(); !why.empty()) {
        throw Error(ErrorCode::kVmCrashed, fmt::format("{}: the VM died: {}", what, why));
      }
    }
    int slice = remaining_ms(deadline);
    if (slice == 0) {
      throw Error(ErrorCode::kDeadlineExceeded, fmt::format("{}: deadline exceeded", what));
    }
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, slice);
    if (rc > 0) return;
    if (rc < 0 && errno != EINTR) {
      throw Error(ErrorCode::kInternal, fmt::format("{}: poll: {}", what, errno_text()));
    }
  }
}

}  // namespace

AgentListener::AgentListener(std::string path)
    : path_(std::move(path)), fd_(listen_unix(path_, 1)) {}

AgentListener::~AgentListener() {
  fd_.reset();
  ::unlink(path_.c_str());
}

UniqueFd AgentListener::accept(Deadline deadline, const DeathCheck& dead) {
  wait_ready(fd_.get(), POLLIN, deadline, dead, "wait for the VMM to connect to the agent socket");
  UniqueFd conn(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn) {
    throw Error(ErrorCode::kInternal, fmt::format("accept on `{}`: {}", path_, errno_text()));
  }
  return conn;
}

AgentConnection::AgentConnection(UniqueFd fd, DeathCheck dead, bool shared_channel)
    : fd_(std::move(fd)), dead_(std::move(dead)), shared_(shared_channel) {
  if (shared_) {
    uint32_t r = 0;
    if (::getrandom(&r, sizeof r, 0) != sizeof r) r = static_cast<uint32_t>(::getpid()) << 8;
    next_stream_ = ((r % (1u << 30)) | 1u);
  }
}

void AgentConnection::check_major() const {
  if (hello_.major != protocol::kProtocolMajor) {
    throw Error(ErrorCode::kAgentProtocol,
                fmt::format("agent speaks protocol {}.{}, the host speaks {}.{}", hello_.major,
                            hello_.minor, protocol::kProtocolMajor, protocol::kProtocolMinor));
  }
}

const AgentHello& AgentConnection::wait_hello(Deadline deadline) {
  while (!have_hello_) handle_event(read_frame(deadline, "wait for the agent's hello"));
  check_major();
  return hello_;
}

const AgentHello& AgentConnection::handshake(Deadline deadline) {
  // Long enough for a loaded TCG guest to answer, short enough to recover quickly
  // from a request the agent dropped while reopening its port.
  constexpr auto kAttempt = std::chrono::milliseconds(1500);
  const nlohmann::json params = {
      {"protocol", {{"major", protocol::kProtocolMajor}, {"minor", protocol::kProtocolMinor}}}};
  std::lock_guard lock(call_mutex_);
  for (;;) {
    const uint32_t stream = next_stream_;
    next_stream_ += 2;
    write_all(fd_.get(), protocol::encode_frame(protocol::make_request(stream, "hello", params)), deadline,
              "the agent");
    const Deadline attempt = std::min(deadline, Clock::now() + kAttempt);
    bool resend = false;
    while (!resend) {
      protocol::Frame frame;
      try {
        frame = read_frame(attempt, "wait for the agent's hello");
      } catch (const Error& e) {
        if (e.code() != ErrorCode::kDeadlineExceeded || Clock::now() >= deadline) throw;
        resend = true;
        continue;
      }
      if (frame.stream == 0) {
        have_hello_ = false;
        handle_event(frame);
        resend = have_hello_;  // a new agent session: our request may have been dropped
        continue;
      }
      if (frame.stream != stream || frame.type != protocol::FrameType::kResponse) continue;  // stale
      protocol::Response reply;
      try {
        reply = protocol::parse_response(frame);
      } catch (const std::exception& e) {
        throw Error(ErrorCode::kAgentProtocol, fmt::format("agent hello: {}", e.what()));
      }
      if (!reply.ok) {
        throw Error(ErrorCode::kAgentProtocol, fmt::format("agent hello refused: {}", reply.error_message));
      }
      nlohmann::json event = reply.result;
      event["event"] = "hello";
      protocol::Frame as_event;
      as_event.type = protocol::FrameType::kEvent;
      as_event.payload = event.dump();
      handle_event(as_event);
      check_major();
      return hello_;
    }
  }
}

void AgentConnection::handle_event(const protocol::Frame& frame) {
  if (frame.type != protocol::FrameType::kEvent) {
    log(LogLevel::kDebug, "agent: ignoring frame of type {} on stream {} outside a call",
        static_cast<int>(frame.type), frame.stream);
    return;
  }
  nlohmann::json event;
  try {
    event = protocol::parse_payload(frame);
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kAgentProtocol, fmt::format("agent event: {}", e.what()));
  }
  // Any JSON may arrive: only an object whose `event` is the string "hello" counts.
  const auto name = event.is_object() ? event.find("event") : event.end();
  if (name == event.end() || !name->is_string() || name->get_ref<const std::string&>() != "hello") {
    log(LogLevel::kDebug, "agent: event {}", event.dump().substr(0, 512));
    return;
  }
  remember_hello(std::move(event));
}

void AgentConnection::remember_hello(nlohmann::json fields) {
  try {
    AgentHello h;
    h.major = fields.at("protocol").at("major").get<uint32_t>();
    h.minor = fields.at("protocol").at("minor").get<uint32_t>();
    h.agent_version = fields.value("agent_version", "");
    h.methods = fields.value("methods", std::vector<std::string>{});
    h.kernel = fields.value("kernel", "");
    h.raw = std::move(fields);
    hello_ = std::move(h);
    have_hello_ = true;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kAgentProtocol, fmt::format("agent hello: {}", e.what()));
  }
}

protocol::Frame AgentConnection::read_frame(Deadline deadline, std::string_view waiting_for,
                                            const std::function<void()>& tick) {
  char buf[64 * 1024];
  for (;;) {
    if (auto f = decoder_.next()) return std::move(*f);
    if (decoder_.failed()) {
      throw Error(ErrorCode::kAgentProtocol,
                  fmt::format("{}: malformed frame: {}", waiting_for, decoder_.error()));
    }
    wait_ready(fd_.get(), POLLIN, deadline, dead_, waiting_for, tick);
    ssize_t n = ::read(fd_.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw Error(ErrorCode::kVmCrashed, fmt::format("{}: read: {}", waiting_for, errno_text()));
    }
    if (n == 0) {
      std::string why = dead_ ? dead_() : "";
      throw Error(ErrorCode::kVmCrashed,
                  fmt::format("{}: the agent connection closed{}", waiting_for,
                              why.empty() ? "" : ": " + why));
    }
    decoder_.feed(std::string_view(buf, static_cast<size_t>(n)));
  }
}

nlohmann::json AgentConnection::call(std::string_view method, const nlohmann::json& params,
                                     Deadline deadline, const DataSink& sink) {
  return call(method, params, deadline, sink, CallCancel{}, nullptr);
}

bool AgentConnection::offers(std::string_view method) const {
  return std::find(hello_.methods.begin(), hello_.methods.end(), method) != hello_.methods.end();
}

nlohmann::json AgentConnection::call(std::string_view method, const nlohmann::json& params, Deadline deadline,
                                     const DataSink& sink, const CallCancel& cancel, bool* cancel_sent) {
  std::lock_guard lock(call_mutex_);
  const std::string what = fmt::format("agent request `{}`", method);
  if (broken_) {
    throw Error(ErrorCode::kAgentProtocol, fmt::format("{}: the connection broke in an earlier request", what));
  }
  try {
    nlohmann::json result = call_locked(method, params, deadline, sink, what,
                                        cancel.requested ? &cancel : nullptr, cancel_sent);
    // A `hello` request (a VM restored from a snapshot asks again): what it offers.
    if (method == "hello") remember_hello(result);
    return result;
  } catch (...) {
    // A call that ended before its response frame (a deadline, a sink that refused
    // data, garbage) leaves the rest of its stream, or a torn frame, to come.
    if (!answered_) broken_ = true;
    throw;
  }
}

nlohmann::json AgentConnection::call_locked(std::string_view method, const nlohmann::json& params, Deadline deadline,
                                            const DataSink& sink, const std::string& what, const CallCancel* cancel,
                                            bool* cancel_sent) {
  answered_ = false;
  const uint32_t stream = next_stream_;
  next_stream_ += 2;
  // Requests are small and the agent always reads, so a plain deadline suffices here.
  write_all(fd_.get(), protocol::encode_frame(protocol::make_request(stream, method, params)),
            deadline, "the agent");

  // The cancel request, once sent, has a stream of its own whose response must be
  // read too: left on the wire it would be a reply on an unknown stream later.
  uint32_t cancel_stream = 0;
  bool cancel_answered = false;
  std::function<void()> tick;
  if (cancel) {
    tick = [&] {
      if (cancel_stream != 0 || !cancel->requested()) return;
      if (!offers(cancel->method)) {
        throw Error(ErrorCode::kCancelled,
                    fmt::format("{}: cancelled; the agent ({}) has no `{}`, so the request runs on in the guest",
                                what, hello_.agent_version, cancel->method));
      }
      cancel_stream = next_stream_;
      next_stream_ += 2;
      write_all(fd_.get(),
                protocol::encode_frame(protocol::make_request(cancel_stream, cancel->method, {{"stream", stream}})),
                deadline, "the agent");
      if (cancel_sent) *cancel_sent = true;
    };
  }
  // The call's outcome, held until the cancel's response was read too.
  bool got_response = false;
  protocol::Response outcome;
  for (;;) {
    if (got_response && (cancel_stream == 0 || cancel_answered)) {
      answered_ = true;
      if (!outcome.ok) {
        throw Error(error_code_from_name(outcome.error_code), fmt::format("{}: {}", what, outcome.error_message));
      }
      if (!outcome.result.is_object()) {
        throw Error(ErrorCode::kAgentProtocol, fmt::format("{}: the result is not an object", what));
      }
      return std::move(outcome.result);
    }
    protocol::Frame frame = read_frame(deadline, what, got_response ? std::function<void()>{} : tick);
    if (frame.stream == 0) {
      handle_event(frame);
      continue;
    }
    if (cancel_stream != 0 && frame.stream == cancel_stream) {
      if (frame.type != protocol::FrameType::kResponse || cancel_answered) {
        throw Error(ErrorCode::kAgentProtocol, fmt::format("{}: unexpected frame on the cancel's stream", what));
      }
      try {
        protocol::Response reply = protocol::parse_response(frame);
        if (!reply.ok) log(LogLevel::kDebug, "{}: `{}` refused: {}", what, cancel->method, reply.error_message);
      } catch (const std::exception& e) {
        throw Error(ErrorCode::kAgentProtocol, fmt::format("{}: `{}`: {}", what, cancel->method, e.what()));
      }
      cancel_answered = true;
      continue;
    }
    if (frame.stream != stream || got_response) {
      if (shared_) continue;  // a reply to an earlier host's request
      throw Error(ErrorCode::kAgentProtocol,
                  fmt::format("{}: reply on unknown stream {}", what, frame.stream));
    }
    if (frame.type == protocol::FrameType::kData) {
      auto data = protocol::split_data(frame);
      if (!data) throw Error(ErrorCode::kAgentProtocol, fmt::format("{}: malformed data frame", what));
      if (data->first != protocol::Channel::kStdout && data->first != protocol::Channel::kStderr) {
        throw Error(ErrorCode::kAgentProtocol, fmt::format("{}: data on channel {}", what,
                                                           static_cast<int>(data->first)));
      }
      if (sink) sink(data->first, data->second);
      continue;
    }
    if (frame.type != protocol::FrameType::kResponse) {
      throw Error(ErrorCode::kAgentProtocol,
                  fmt::format("{}: unexpected frame type {}", what, static_cast<int>(frame.type)));
    }
    try {
      outcome = protocol::parse_response(frame);
    } catch (const std::exception& e) {
      throw Error(ErrorCode::kAgentProtocol, fmt::format("{}: {}", what, e.what()));
    }
    got_response = true;
  }
}

}  // namespace pyro::detail

// Host side of the agent protocol (docs/agent-protocol.md) over one connected
// stream socket: the listener QEMU connects to, the hello handshake, and
// request/response calls with streamed data frames.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/frame.hpp"
#include "util/deadline.hpp"
#include "util/unique_fd.hpp"

namespace pyro::detail {

/// Called while waiting; returns a non-empty description once the peer (the VM)
/// is known to be dead, which turns the wait into a kVmCrashed error.
using DeathCheck = std::function<std::string()>;

/// Owns a listening unix socket at `path` (created by the constructor, unlinked by
/// the destructor). The host listens before QEMU starts, so the guest can never
/// write into a socket nobody reads.
class AgentListener {
 public:
  explicit AgentListener(std::string path);
  ~AgentListener();
  AgentListener(const AgentListener&) = delete;
  AgentListener& operator=(const AgentListener&) = delete;

  const std::string& path() const noexcept { return path_; }
  /// Waits for the VMM to connect. Throws kDeadlineExceeded or kVmCrashed.
  UniqueFd accept(Deadline deadline, const DeathCheck& dead);

 private:
  std::string path_;
  UniqueFd fd_;
};

struct AgentHello {
  uint32_t major = 0;
  uint32_t minor = 0;
  std::string agent_version;
  std::vector<std::string> methods;
  std::string kernel;
  nlohmann::json raw;
};

/// Receives the bytes of data frames: channel and chunk.
using DataSink = std::function<void(protocol::Channel, std::string_view)>;

/// How a call can be cancelled while it waits: once `requested()` returns true
/// (asked every ~50 ms and before the first wait), the connection sends `method`
/// with `{"stream": <the call's stream>}` and keeps waiting for the call's own
/// response, which then comes early, and for the cancel's response.
struct CallCancel {
  std::function<bool()> requested;
  std::string method;  ///< e.g. "exec_cancel"; the agent must list it in `methods`
};

class AgentConnection {
 public:
  /// `shared_channel`: the port was used by other host processes before (a
  /// workspace VM), so replies to their requests may still arrive; such frames are
  /// dropped, and stream ids start at a random odd number.
  AgentConnection(UniqueFd fd, DeathCheck dead, bool shared_channel = false);

  /// For a shared channel: sends `hello` until the agent answers one. The agent may
  /// be booting, or reopening its port after the previous host hung up, which drops
  /// what was sent meanwhile; its hello event then triggers a new request.
  /// Throws kDeadlineExceeded, kVmCrashed or kAgentProtocol.
  const AgentHello& handshake(Deadline deadline);

  /// Waits for the agent's hello event and checks the protocol major version.
  /// Throws kDeadlineExceeded, kVmCrashed or kAgentProtocol.
  const AgentHello& wait_hello(Deadline deadline);
  const AgentHello& hello() const noexcept { return hello_; }

  /// Sends one request and waits for its response, passing data frames (channel
  /// stdout or stderr, else kAgentProtocol) to `sink`, which may throw to refuse
  /// them. Returns the `result` object (anything else is kAgentProtocol); an
  /// `error` response becomes a pyro::Error with the agent's code. Calls are
  /// serialised (one stream at a time for now).
  nlohmann::json call(std::string_view method, const nlohmann::json& params,
                      Deadline deadline, const DataSink& sink = {});

  /// call() that may be cancelled (`cancel`). Sets `*cancel_sent` when the cancel
  /// request went out. When the agent does not offer `cancel.method` (an older
  /// agent), a requested cancel ends the wait with kCancelled at once and leaves
  /// the connection broken (the request runs on in the guest).
  nlohmann::json call(std::string_view method, const nlohmann::json& params, Deadline deadline,
                      const DataSink& sink, const CallCancel& cancel, bool* cancel_sent);

  /// True once a call ended without its whole reply (deadline, garbage, a refused
  /// sink): the stream may be out of step, so every later call fails; reconnect.
  bool broken() const noexcept { return broken_; }

 private:
  // Reads until one frame is available; throws on deadline, EOF or garbage.
  // `tick` runs before each wait slice (the cancel check of a call).
  protocol::Frame read_frame(Deadline deadline, std::string_view waiting_for,
                             const std::function<void()>& tick = {});
  nlohmann::json call_locked(std::string_view method, const nlohmann::json& params, Deadline deadline,
                             const DataSink& sink, const std::string& what, const CallCancel* cancel,
                             bool* cancel_sent);
  bool offers(std::string_view method) const;
  void handle_event(const protocol::Frame& frame);
  void remember_hello(nlohmann::json fields);  // throws kAgentProtocol when malformed
  void check_major() const;

  UniqueFd fd_;
  DeathCheck dead_;
  protocol::FrameDecoder decoder_;
  AgentHello hello_;
  bool have_hello_ = false;
  bool shared_ = false;
  uint32_t next_stream_ = 1;
  bool broken_ = false;    // guarded by call_mutex_
  bool answered_ = false;  // the current call got its response frame
  std::mutex call_mutex_;
};

}  // namespace pyro::detail

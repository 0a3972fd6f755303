// pyro-hostile-guest: plays a hostile root process inside a pyro VM for
// tests/integration/test_hostile_guest.cpp. It tries to take the agent's channel
// and, once it has it, serves forged replies to the host.
//
//   pyro-hostile-guest spin-open REPORT SECONDS
//       Loops on open() of the agent port for SECONDS (1 ms apart), counting EBUSY
//       and successes into REPORT ("attempts=N ebusy=N other=N success=N done=0|1").
//       If an open ever succeeds it answers hello and serves forged replies.
//   pyro-hostile-guest steal CANARY REPORT
//       Freezes PID 1 (PTRACE_SEIZE + PTRACE_INTERRUPT of every thread), takes its
//       port fd with pidfd_getfd, and serves the scripted forged replies below to
//       every host connection (CANARY: the host directory the forgeries aim at),
//       service_start included.
//       Writes why to REPORT when the steal fails.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/frame.hpp"
#include "protocol/message.hpp"

namespace {

namespace proto = pyro::protocol;
using nlohmann::json;

std::string g_canary;

void report(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  { std::ofstream(tmp) << text << "\n"; }
  std::rename(tmp.c_str(), path.c_str());
}

std::string find_port() {
  DIR* d = ::opendir("/sys/class/virtio-ports");
  if (!d) return "";
  std::string found;
  while (dirent* e = ::readdir(d)) {
    std::ifstream in(std::string("/sys/class/virtio-ports/") + e->d_name + "/name");
    std::string name;
    if (std::getline(in, name) && name == "pyro.agent") found = std::string("/dev/") + e->d_name;
  }
  ::closedir(d);
  return found;
}

// Writes all of `bytes`; false once the host hung up.
bool write_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
    pollfd p{fd, POLLOUT, 0};
    ::poll(&p, 1, 100);
    if ((p.revents & POLLHUP) && !(p.revents & POLLOUT)) return false;
  }
  return true;
}

bool send(int fd, const proto::Frame& f) { return write_all(fd, proto::encode_frame(f)); }

json entry(const std::string& path, const std::string& type, uint64_t size = 0) {
  json e = {{"path", path}, {"type", type}, {"size", size}, {"mode", 0644}, {"mtime", 0}};
  if (type == "file") e["sha256"] = std::string(64, 'a');
  return e;
}

json symlink_entry(const std::string& path, const std::string& target) {
  return {{"path", path}, {"type", "symlink"}, {"size", target.size()}, {"mode", 0777}, {"mtime", 0},
          {"target", target}};
}

json hello_fields() {
  return {{"protocol", {{"major", proto::kProtocolMajor}, {"minor", proto::kProtocolMinor}}},
          {"agent_version", "forged"},
          {"methods", {"hello", "exec", "fs_stat", "fs_list", "fs_read", "fs_manifest", "sync"}},
          {"features", json::array()},
          {"kernel", "forged"},
          {"boot_id", "forged"}};
}

// The forged manifest for an export or diff of `root`.
json forged_manifest(const std::string& root) {
  if (root == "escape") return {entry("escape/../../../.." + g_canary + "/x", "file", 5)};
  if (root == "absolute") return {entry(g_canary + "/x", "file", 5)};
  if (root == "symlink") return {symlink_entry("symlink/lnk", g_canary), entry("symlink/lnk/planted.txt", "file", 7)};
  if (root == "dup") return {entry("dup/a", "file", 3), entry("dup/a", "file", 3)};
  if (root == "bigfile") return {entry("bigfile/f", "file", 10)};
  return {entry("../../../.." + g_canary + "/x", "file", 5)};  // the diff's manifest of the root
}

// Answers one request the way the scenario (named by the request) says. False: the host left.
bool answer(int fd, uint32_t stream, const std::string& method, const json& params) {
  const std::string path = params.value("path", "");
  if (method == "hello") return send(fd, proto::make_response(stream, hello_fields()));
  if (method == "exec") {
    const std::string command = params.value("command", "");
    if (command.find("hostile-status") != std::string::npos) {
      return send(fd, proto::make_data_frame(stream, proto::Channel::kStdout, "stolen\n")) &&
             send(fd, proto::make_response(stream, {{"exit_code", 0}, {"stdout_bytes", 7}}));
    }
    if (command.find("hostile-garbage") != std::string::npos) return write_all(fd, std::string(64, '\xff'));
    if (command.find("hostile-stall") != std::string::npos) return true;
    if (command.find("hostile-events") != std::string::npos) {
      const json spam = {{"padding", std::string(1024, 'e')}};
      for (int i = 0; i < 20000; ++i) {
        if (!send(fd, proto::make_event("spam", spam))) return false;
      }
      return send(fd, proto::make_data_frame(stream, proto::Channel::kStdout, "events-done\n")) &&
             send(fd, proto::make_response(stream, {{"exit_code", 0}, {"stdout_bytes", 12}}));
    }
    if (command.find("hostile-flood") != std::string::npos) {
      const std::string chunk(proto::kMaxDataChunk, 'f');
      for (int i = 0; i < 16; ++i) {
        if (!send(fd, proto::make_data_frame(stream, proto::Channel::kStdout, chunk))) return false;
      }
      return send(fd, proto::make_response(stream, {{"exit_code", 0}}));
    }
    return send(fd, proto::make_data_frame(stream, proto::Channel::kStdout, "forged\n")) &&
           send(fd, proto::make_response(stream, {{"exit_code", 0}, {"stdout_bytes", 7}}));
  }
  if (method == "fs_stat") return send(fd, proto::make_response(stream, entry(path.empty() ? "." : path, "directory")));
  if (method == "fs_manifest" || method == "fs_list") {
    return send(fd, proto::make_response(stream, {{"entries", forged_manifest(path)}, {"truncated", false}}));
  }
  if (method == "fs_read") {
    // Whatever was asked: 200 MiB, until the host hangs up.
    const std::string chunk(proto::kMaxDataChunk, 'P');
    for (int i = 0; i < 200 * 16; ++i) {
      if (!send(fd, proto::make_data_frame(stream, proto::Channel::kStdout, chunk))) return false;
    }
    return send(fd, proto::make_response(stream, {{"size", 10}, {"bytes", 200u << 20}, {"eof", true}}));
  }
  if (method == "sync") return send(fd, proto::make_response(stream, json::object()));
  // A service start answered with the wrong shape (a number for `state`), after the
  // host has added the service's published ports: the host must take them away.
  if (method == "service_start") return send(fd, proto::make_response(stream, {{"state", 42}, {"pid", "forged"}}));
  return send(fd, proto::make_error_response(stream, "unimplemented", "forged agent"));
}

// Waits until a host is connected to the port (POLLHUP while none is).
void wait_host(int fd) {
  for (;;) {
    pollfd p{fd, POLLOUT, 0};
    int r = ::poll(&p, 1, 50);
    if (r > 0 && (p.revents & POLLOUT) && !(p.revents & POLLHUP)) return;
    if (r != 0) ::usleep(50'000);  // hygiene: the attacker's polling interval (guest workload)
  }
}

// Serves host connections on `fd` forever, like the agent: hello event, then requests.
[[noreturn]] void serve(int fd) {
  for (;;) {
    wait_host(fd);
    proto::FrameDecoder decoder;
    bool alive = send(fd, proto::make_event("hello", hello_fields()));
    char buf[65536];
    while (alive) {
      pollfd p{fd, POLLIN, 0};
      ::poll(&p, 1, -1);
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) break;  // the host hung up
      if (!decoder.feed(std::string_view(buf, static_cast<size_t>(n)))) break;  // torn by the frozen agent
      while (auto f = decoder.next()) {
        if (f->type != proto::FrameType::kRequest) continue;
        json req = json::parse(f->payload, nullptr, false);
        if (!req.is_object()) continue;
        alive = answer(fd, f->stream, req.value("method", ""), req.value("params", json::object()));
        if (!alive) break;
      }
    }
    // Whatever is left of this host's frames goes with it.
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
    }
  }
}

int spin_open(const std::string& report_path, int seconds) {
  const std::string port = find_port();
  if (port.empty()) {
    report(report_path, "error=no port");
    return 1;
  }
  long attempts = 0, ebusy = 0, other = 0, success = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  auto write_report = [&](int done) {
    report(report_path, "attempts=" + std::to_string(attempts) + " ebusy=" + std::to_string(ebusy) +
                            " other=" + std::to_string(other) + " success=" + std::to_string(success) +
                            " done=" + std::to_string(done));
  };
  while (std::chrono::steady_clock::now() < end) {
    ++attempts;
    int fd = ::open(port.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd >= 0) {
      ++success;
      write_report(0);
      serve(fd);  // the channel is ours
    }
    (errno == EBUSY ? ebusy : other)++;
    if (attempts % 50 == 0) write_report(0);
    ::usleep(1000);  // hygiene: the attacker's pace (guest workload)
  }
  write_report(1);
  return 0;
}

std::vector<pid_t> threads_of_init() {
  std::vector<pid_t> tids;
  DIR* d = ::opendir("/proc/1/task");
  if (!d) return tids;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') tids.push_back(static_cast<pid_t>(std::stoi(e->d_name)));
  }
  ::closedir(d);
  return tids;
}

// The fd number PID 1 holds the agent port under.
int port_fd_of_init() {
  DIR* d = ::opendir("/proc/1/fd");
  if (!d) return -1;
  int found = -1;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    char target[256] = {};
    const std::string link = std::string("/proc/1/fd/") + e->d_name;
    if (::readlink(link.c_str(), target, sizeof target - 1) > 0 && std::strncmp(target, "/dev/vport", 10) == 0) {
      found = std::stoi(e->d_name);
    }
  }
  ::closedir(d);
  return found;
}

int steal(const std::string& report_path) {
  auto fail = [&](const std::string& why) {
    report(report_path, "steal failed: " + why + ": " + std::strerror(errno));
    return 1;
  };
  // Let the exec that started us answer before the agent stops.
  ::sleep(2);  // hygiene: no event in the guest tells that the agent's answer left; the host polls for the takeover
  // Freeze every thread of the agent, twice over for threads born meanwhile.
  std::vector<pid_t> frozen;
  for (int round = 0; round < 2; ++round) {
    for (pid_t tid : threads_of_init()) {
      if (std::find(frozen.begin(), frozen.end(), tid) != frozen.end()) continue;
      if (::ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) return fail("PTRACE_SEIZE " + std::to_string(tid));
      if (::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0) return fail("PTRACE_INTERRUPT");
      int status = 0;
      ::waitpid(tid, &status, __WALL);
      frozen.push_back(tid);
    }
  }
  const int target = port_fd_of_init();
  if (target < 0) return fail("find the port fd of PID 1");
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, 1, 0));
  if (pidfd < 0) return fail("pidfd_open");
  const int fd = static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, target, 0));
  if (fd < 0) return fail("pidfd_getfd");
  report(report_path, "stolen fd " + std::to_string(target) + " after freezing " + std::to_string(frozen.size()) +
                          " threads");
  serve(fd);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "spin-open" && argc == 4) return spin_open(argv[2], std::stoi(argv[3]));
  if (mode == "steal" && argc == 4) {
    g_canary = argv[2];
    return steal(argv[3]);
  }
  std::fprintf(stderr, "usage: pyro-hostile-guest spin-open REPORT SECONDS | steal CANARY REPORT\n");
  return 2;
}

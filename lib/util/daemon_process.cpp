#include "util/daemon_process.hpp"

#include <signal.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace pyro::detail {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(5);
constexpr auto kKillWait = std::chrono::seconds(10);

}  // namespace

std::optional<uint64_t> process_start_time(int64_t pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // The command name (field 2) may hold spaces and parentheses: parse after the last ')'.
  auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  std::string state;
  rest >> state;  // field 3
  if (state == "Z" || state == "X") return std::nullopt;  // exited, waiting to be reaped
  std::string field;
  for (int i = 4; i < 22; ++i) rest >> field;
  uint64_t start = 0;
  if (!(rest >> start)) return std::nullopt;
  return start;
}

bool DaemonProcess::alive() {
  auto start = process_start_time(pid_);
  return start && *start == start_time_;
}

bool DaemonProcess::wait_until(Deadline deadline) {
  for (;;) {
    if (!alive()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
}

void DaemonProcess::kill() {
  if (!alive()) return;
  ::kill(static_cast<pid_t>(pid_), SIGKILL);
  wait_until(deadline_after(std::chrono::duration_cast<std::chrono::milliseconds>(kKillWait)));
}

void DaemonProcess::terminate() {
  if (alive()) ::kill(static_cast<pid_t>(pid_), SIGTERM);
}

std::string DaemonProcess::exit_description() {
  // Not our child: its exit status is its parent's (init's) to know.
  return alive() ? std::string() : std::string("exited");
}

}  // namespace pyro::detail

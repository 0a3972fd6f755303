// Starting a supervised child (service, readiness command, shell) under the reaper:
// own session, given stdio, cwd and environment. exec.cpp keeps its own variant
// because it searches PATH and maps failures to exec's error codes.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "reaper.hpp"

namespace pyro::agent {

struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0] is the absolute path run with execve
  std::vector<std::string> env;   // "NAME=value"
  std::string cwd;
  int stdin_fd = -1;              // -1: /dev/null
  int stdout_fd = -1;             // -1: /dev/null
  int stderr_fd = -1;             // -1: /dev/null
  bool controlling_tty = false;   // make stdin_fd (a PTY slave) the controlling terminal
};

/// Forks and execs `spec` in a new session (so its pid is also its process group).
/// Returns the pid once execve succeeded. Throws AgentError: `not_found` for a
/// missing cwd or program, `internal` otherwise; `what` prefixes the message.
pid_t spawn_watched(Reaper& reaper, const std::shared_ptr<ExitWatch>& watch, const SpawnSpec& spec,
                    const std::string& what);

/// "2026-11-25T06:00:00Z" for now (CLOCK_REALTIME, UTC).
std::string rfc3339_now();

/// Shell-style exit code of a wait status (128+N for signal N), and the signal.
int exit_code_of(int wait_status);
int signal_of(int wait_status);

}  // namespace pyro::agent

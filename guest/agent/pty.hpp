// Opening a PTY pair, mounting devpts first when the agent is PID 1 and it is missing.
#pragma once

#include <string>

namespace pyro::agent {

struct PtyPair {
  int master = -1;  // O_NONBLOCK | O_CLOEXEC
  int slave = -1;   // O_CLOEXEC | O_NOCTTY
};

/// Opens a PTY pair with the window size `cols` x `rows`. Throws AgentError
/// `internal` naming the step that failed.
PtyPair open_pty(int cols, int rows, bool is_pid1);

/// TIOCSWINSZ on `master`; false with errno set on failure.
bool set_window_size(int master, int cols, int rows);

}  // namespace pyro::agent

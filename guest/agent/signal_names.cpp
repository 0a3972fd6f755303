// The small fixed set of signal names of protocol 1.3.
#include "signal_names.hpp"

#include <signal.h>

namespace pyro::agent {

int signal_from_name(const std::string& name, bool shell) {
  std::string n = name.rfind("SIG", 0) == 0 ? name.substr(3) : name;
  struct Entry {
    const char* name;
    int number;
    bool shell_only;
  };
  static const Entry kSignals[] = {
      {"HUP", SIGHUP, false},   {"INT", SIGINT, false},   {"QUIT", SIGQUIT, false},
      {"KILL", SIGKILL, false}, {"USR1", SIGUSR1, false}, {"USR2", SIGUSR2, false},
      {"TERM", SIGTERM, false}, {"TSTP", SIGTSTP, true},  {"CONT", SIGCONT, true},
      {"WINCH", SIGWINCH, true},
  };
  for (const auto& e : kSignals) {
    if (n == e.name && (shell || !e.shell_only)) return e.number;
  }
  return 0;
}

}  // namespace pyro::agent

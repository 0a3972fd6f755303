// posix_openpt and friends: no openpty, which would pull libutil into the static agent.
#include "pty.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent_error.hpp"
#include "log.hpp"
#include "workspace.hpp"

namespace pyro::agent {
namespace {

[[noreturn]] void fail(const std::string& step, int err) {
  throw AgentError("internal", "shell_open: " + step + ": " + std::strerror(err));
}

// The guest's /etc/fstab mounts devpts; this covers an init that did not.
void ensure_devpts(bool is_pid1) {
  if (!is_pid1 || is_mount_point("/dev/pts")) return;
  ::mkdir("/dev/pts", 0755);
  if (::mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") != 0) {
    log_line(std::string("mount devpts on /dev/pts: ") + std::strerror(errno));
  }
}

int open_master() {
  int fd = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0 && (errno == ENOENT || errno == ENODEV)) {
    fd = ::open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  }
  return fd;
}

}  // namespace

bool set_window_size(int master, int cols, int rows) {
  winsize ws{};
  ws.ws_col = static_cast<unsigned short>(cols);
  ws.ws_row = static_cast<unsigned short>(rows);
  return ::ioctl(master, TIOCSWINSZ, &ws) == 0;
}

PtyPair open_pty(int cols, int rows, bool is_pid1) {
  ensure_devpts(is_pid1);
  PtyPair p;
  p.master = open_master();
  if (p.master < 0) fail("open PTY master", errno);
  char name[128];
  if (::grantpt(p.master) != 0 || ::unlockpt(p.master) != 0 || ::ptsname_r(p.master, name, sizeof name) != 0) {
    int err = errno;
    ::close(p.master);
    fail("unlock PTY", err);
  }
  p.slave = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (p.slave < 0) {
    int err = errno;
    ::close(p.master);
    fail(std::string("open PTY `") + name + "`", err);
  }
  if (!set_window_size(p.master, cols, rows) || ::fcntl(p.master, F_SETFL, O_NONBLOCK | O_RDWR) != 0) {
    int err = errno;
    ::close(p.master);
    ::close(p.slave);
    fail("set up PTY", err);
  }
  return p;
}

}  // namespace pyro::agent

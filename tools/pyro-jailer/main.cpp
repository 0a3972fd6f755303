// pyro-jailer: starts one VMM confined (docs/jail.md). libpyro runs it in front of
// every QEMU; it is told exactly which layers to apply and fails (exit 125, reason
// on stderr, which is the VMM's log) when one cannot be applied.
//
// Processes: the jailer forks the VMM into a new PID namespace (the VMM is its init,
// PID 1, so it dies with the namespace). Attached (ephemeral VMs): the jailer stays,
// mirrors the VMM's exit status, kills it by dying (parent-death signal) and removes
// its cgroup. Detached (workspace VMs): the VMM gets its own session, the jailer
// writes its host pid to --pidfile and exits once it runs.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cgroups.hpp"
#include "jail_root.hpp"
#include "jailer_options.hpp"
#include "privileges.hpp"
#include "sys_error.hpp"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace pyro_jailer {
namespace {

constexpr int kSetupFailed = 125;
volatile pid_t g_vmm = 0;

void forward_signal(int sig) {
  if (g_vmm > 0) ::kill(g_vmm, sig);
}

void write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

void prepare_files(const Options& o) {
  for (const auto& path : o.create) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) fail("create", path);
    ::close(fd);
  }
  for (const auto& path : o.chown) {
    if (::lchown(path.c_str(), *o.uid, *o.gid) != 0) fail("hand over", path);
  }
  for (const auto& path : o.group_dirs) {
    if (::lchown(path.c_str(), 0, *o.gid) != 0 || ::chmod(path.c_str(), 01770) != 0) fail("share", path);
  }
  for (const auto& path : o.group_files) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0660);
      if (fd < 0) fail("create", path);
      ::close(fd);
    } else if (S_ISLNK(st.st_mode)) {
      fail("share", path, ELOOP);
    }
    if (::lchown(path.c_str(), 0, *o.gid) != 0 || ::chmod(path.c_str(), 0660) != 0) fail("share", path);
  }
}

void write_pidfile(const std::string& path, pid_t pid) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("create", tmp);
  write_all(fd, std::to_string(pid) + "\n");
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("rename", tmp);
}

// The VMM side of the fork: finish confining, then exec. Reports failures on `err_fd`.
[[noreturn]] void run_vmm(const Options& o, int go_fd, int alive_fd, int err_fd, int last_cap) {
  try {
    char go = 0;
    ssize_t n;
    do {
      n = ::read(go_fd, &go, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) ::_exit(kSetupFailed);  // the jailer gave up (or died)
    if (o.detach && ::setsid() < 0) fail("start a session", "");
    int flags = 0;
    if (!o.root.empty()) flags |= CLONE_NEWNS;
    if (o.ipc_ns) flags |= CLONE_NEWIPC;
    if (o.net_ns) flags |= CLONE_NEWNET;
    if (flags != 0 && ::unshare(flags) != 0) fail("create namespaces", "");
    if (!o.root.empty()) enter_jail_root(o.root, o.binds, o.uid.value_or(0), o.gid.value_or(0));
    drop_privileges(o.uid, o.gid, last_cap);
    if (!o.detach) {
      // Set after the uid change, which clears it. The pipe's far end closes when
      // the jailer dies: it may have died before the signal was armed.
      if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) fail("arm the parent-death signal", "");
      pollfd p{alive_fd, 0, 0};
      if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR))) ::_exit(kSetupFailed);
    }
    // Descriptors 0-2 are /dev/null and the log; nothing else reaches the VMM.
    ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
    std::vector<char*> argv;
    for (const auto& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    fail("run", o.argv[0]);
  } catch (const std::exception& e) {
    write_all(err_fd, e.what());
  }
  ::_exit(kSetupFailed);
}

int run(const Options& o) {
  const int last_cap = last_capability();
  create_cgroups(o.cgroup_enable, o.cgroups, o.cgroup_set);
  prepare_files(o);
  if (o.pid_ns && ::unshare(CLONE_NEWPID) != 0) fail("create a pid namespace", "");
  int go[2], alive[2], err[2];
  if (::pipe2(go, O_CLOEXEC) != 0 || ::pipe2(alive, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) fail("create pipes", "");
  const pid_t vmm = ::fork();
  if (vmm < 0) fail("fork", "");
  if (vmm == 0) {
    ::close(go[1]);
    ::close(alive[1]);
    ::close(err[0]);
    run_vmm(o, go[0], alive[0], err[1], last_cap);
  }
  ::close(go[0]);
  ::close(alive[0]);
  ::close(err[1]);
  g_vmm = vmm;
  struct sigaction sa {};
  sa.sa_handler = forward_signal;
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT}) ::sigaction(sig, &sa, nullptr);
  try {
    join_cgroups(o.cgroups, vmm);
    if (!o.pidfile.empty()) write_pidfile(o.pidfile, vmm);
  } catch (...) {
    ::kill(vmm, SIGKILL);
    ::waitpid(vmm, nullptr, 0);
    remove_cgroups(o.cgroups);
    throw;
  }
  write_all(go[1], "g");
  ::close(go[1]);
  std::string failure;
  char buf[512];
  for (;;) {
    ssize_t n = ::read(err[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    failure.append(buf, static_cast<size_t>(n));
  }
  ::close(err[0]);
  if (!failure.empty()) {
    ::waitpid(vmm, nullptr, 0);
    remove_cgroups(o.cgroups);
    if (!o.pidfile.empty()) ::unlink(o.pidfile.c_str());
    std::fprintf(stderr, "pyro-jailer: %s\n", failure.c_str());
    return kSetupFailed;
  }
  if (o.detach) return 0;  // the VMM runs; its cgroup goes in a later sweep
  int status = 0;
  while (::waitpid(vmm, &status, 0) < 0 && errno == EINTR) {
  }
  remove_cgroups(o.cgroups);
  if (WIFSIGNALED(status)) {
    ::signal(WTERMSIG(status), SIG_DFL);
    ::kill(::getpid(), WTERMSIG(status));
    return 128 + WTERMSIG(status);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : kSetupFailed;
}

}  // namespace
}  // namespace pyro_jailer

int main(int argc, char** argv) {
  using namespace pyro_jailer;
  try {
    return run(parse_options(std::vector<std::string>(argv + 1, argv + argc)));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pyro-jailer: %s\n", e.what());
    return kSetupFailed;
  }
}

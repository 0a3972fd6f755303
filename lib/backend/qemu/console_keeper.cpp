#include "backend/qemu/console_keeper.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "pyro/error.hpp"
#include "util/file_tail.hpp"
#include "util/spawner_thread.hpp"
#include "util/unique_fd.hpp"

namespace pyro::detail {
namespace {

constexpr const char* kLogName = "console.log";
constexpr const char* kOldName = "console.log.old";
constexpr const char* kDoneName = "console.done";
constexpr auto kDrainWait = std::chrono::seconds(1);

std::string join(const std::string& dir, const char* name) { return dir + "/" + name; }

bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// The keeper itself, in a forked process of a threaded program: system calls
// only (no allocation, no locks), all paths prepared by the parent. It reports
// its pid on `report` once the FIFO is open: QEMU must open it after that, as
// the end of a FIFO is only seen by a reader that was there before the writer.
//
// Until QEMU has the FIFO open, a FIFO without a writer blocks the keeper forever
// (no end-of-file before a first writer), so the keeper also watches `lifeline`,
// a pipe whose other end only the starting process holds: a byte on it means QEMU
// is up (from then on the FIFO's end is the keeper's end); its end-of-file without
// that byte means the starter died first, and the keeper leaves with it.
[[noreturn]] void keep_console(int report, int lifeline, const char* fifo, const char* log_path,
                               const char* old_path, const char* done_path) {
  const int in = ::open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  int log = ::open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (in < 0 || log < 0) ::_exit(1);
  const int64_t pid = ::getpid();
  if (!write_all(report, reinterpret_cast<const char*>(&pid), sizeof pid)) ::_exit(1);
  ::close(report);
  size_t size = 0;
  static char buf[16384];
  for (;;) {
    // Blocks until QEMU writes or, once it had the FIFO open, until it closed it.
    struct pollfd p[2] = {{in, POLLIN, 0}, {lifeline, POLLIN, 0}};
    if (::poll(p, lifeline >= 0 ? 2 : 1, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (lifeline >= 0 && p[1].revents != 0) {
      char armed = 0;
      const ssize_t got = ::read(lifeline, &armed, 1);
      if (got < 0 && errno == EINTR) continue;
      if (got != 1) break;  // the starter died before QEMU was up: nothing will ever write
      ::close(lifeline);
      lifeline = -1;
      continue;
    }
    if (p[0].revents == 0) continue;
    const ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;  // no writer left: QEMU is gone and everything it wrote is copied
    if (size + static_cast<size_t>(n) > kConsoleFileBytes) {
      ::rename(log_path, old_path);
      ::close(log);
      log = ::open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (log < 0) ::_exit(1);
      size = 0;
    }
    if (!write_all(log, buf, static_cast<size_t>(n))) ::_exit(1);
    size += static_cast<size_t>(n);
  }
  ::close(log);
  const int done = ::open(done_path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (done >= 0) ::close(done);
  ::_exit(0);
}

// Forks twice so that the keeper is nobody's child (no zombie, and it outlives
// this process like a daemonized VMM does); returns the keeper's pid once it
// has the FIFO open, and `lifeline`'s write end.
int64_t fork_keeper(const std::string& run_dir, UniqueFd& lifeline) {
  const std::string fifo = console_chardev_path(run_dir) + ".out";
  const std::string log = join(run_dir, kLogName);
  const std::string old = join(run_dir, kOldName);
  const std::string done = join(run_dir, kDoneName);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    throw Error(ErrorCode::kUnavailable, fmt::format("start the console keeper: pipe: {}", std::strerror(errno)));
  }
  UniqueFd read_end(pipe_fds[0]);
  // Above the standard descriptors, which the keeper points at /dev/null.
  UniqueFd write_end(::fcntl(pipe_fds[1], F_DUPFD_CLOEXEC, 3));
  ::close(pipe_fds[1]);
  if (!write_end) {
    throw Error(ErrorCode::kUnavailable, fmt::format("start the console keeper: dup: {}", std::strerror(errno)));
  }
  int life_fds[2];
  if (::pipe2(life_fds, O_CLOEXEC) != 0) {
    throw Error(ErrorCode::kUnavailable, fmt::format("start the console keeper: pipe: {}", std::strerror(errno)));
  }
  UniqueFd life_write(life_fds[1]);
  // Above the report pipe, so that the keeper's close_range below keeps both.
  UniqueFd life_read(::fcntl(life_fds[0], F_DUPFD_CLOEXEC, write_end.get() + 1));
  ::close(life_fds[0]);
  if (!life_read) {
    throw Error(ErrorCode::kUnavailable, fmt::format("start the console keeper: dup: {}", std::strerror(errno)));
  }
  const int report = write_end.get();
  const int life = life_read.get();
  pid_t middle = -1;
  run_on_spawner_thread([&] {
    middle = ::fork();
    if (middle != 0) return;
    // The middle process: a session of its own, the keeper in it, then leave.
    ::setsid();
    if (::fork() == 0) {
      const int null = ::open("/dev/null", O_RDWR);
      if (null >= 0) {
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(null, 2);
      }
      // No VM's socket or disk stays open in the keeper, and no write end of its
      // lifeline: only the report pipe and the lifeline's read end.
      if (report > 3) ::close_range(3, static_cast<unsigned>(report) - 1, 0);
      if (life > report + 1) ::close_range(static_cast<unsigned>(report) + 1, static_cast<unsigned>(life) - 1, 0);
      ::close_range(static_cast<unsigned>(life) + 1, ~0U, 0);
      ::signal(SIGPIPE, SIG_IGN);
      ::prctl(PR_SET_NAME, "pyro-console");
      keep_console(report, life, fifo.c_str(), log.c_str(), old.c_str(), done.c_str());
    }
    ::_exit(0);
  });
  if (middle < 0) {
    throw Error(ErrorCode::kUnavailable, fmt::format("start the console keeper: fork: {}", std::strerror(errno)));
  }
  write_end.reset();
  life_read.reset();
  int status = 0;
  while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) {
  }
  int64_t pid = 0;
  ssize_t got = 0;
  while ((got = ::read(read_end.get(), &pid, sizeof pid)) < 0 && errno == EINTR) {
  }
  if (got != static_cast<ssize_t>(sizeof pid) || pid <= 0) {
    throw Error(ErrorCode::kUnavailable, "start the console keeper: it could not open the console fifo or log");
  }
  lifeline = std::move(life_write);
  return pid;
}

}  // namespace

std::string console_chardev_path(const std::string& run_dir) { return join(run_dir, "console"); }

ConsoleKeeper ConsoleKeeper::start(const std::string& run_dir) {
  const std::string base = console_chardev_path(run_dir);
  for (const char* suffix : {".in", ".out"}) {
    const std::string path = base + suffix;
    ::unlink(path.c_str());
    if (::mkfifo(path.c_str(), 0600) != 0) {
      throw Error(ErrorCode::kUnavailable, fmt::format("create the console fifo `{}`: {}", path, std::strerror(errno)));
    }
  }
  ::unlink(join(run_dir, kDoneName).c_str());
  ::unlink(join(run_dir, kOldName).c_str());
  UniqueFd lifeline;
  const int64_t pid = fork_keeper(run_dir, lifeline);
  return ConsoleKeeper(pid, std::move(lifeline));
}

ConsoleKeeper::ConsoleKeeper(int64_t pid, UniqueFd lifeline) : pid_(pid), lifeline_(std::move(lifeline)) {}

ConsoleKeeper::ConsoleKeeper(ConsoleKeeper&& other) noexcept
    : pid_(other.pid_), lifeline_(std::move(other.lifeline_)) {
  other.pid_ = 0;
}

ConsoleKeeper::~ConsoleKeeper() {
  if (pid_ > 0) ::kill(static_cast<pid_t>(pid_), SIGKILL);
}

void ConsoleKeeper::release() noexcept {
  // The byte tells the keeper QEMU is up; closing without it would end the keeper.
  const char armed = 1;
  ssize_t n = 0;
  while ((n = ::write(lifeline_.get(), &armed, 1)) < 0 && errno == EINTR) {
  }
  lifeline_.reset();
  pid_ = 0;
}

std::string read_console_tail(const std::string& run_dir, size_t max_bytes, bool vmm_dead) {
  if (vmm_dead) {
    // A VMM started before the keeper existed has no FIFO and never gets a done mark.
    struct stat st {};
    const bool kept = ::stat((console_chardev_path(run_dir) + ".out").c_str(), &st) == 0;
    const auto until = std::chrono::steady_clock::now() + kDrainWait;
    while (kept && ::access(join(run_dir, kDoneName).c_str(), F_OK) != 0 && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  std::string tail = read_file_tail(join(run_dir, kLogName), max_bytes);
  if (tail.size() < max_bytes) tail = read_file_tail(join(run_dir, kOldName), max_bytes - tail.size()) + tail;
  return tail;
}

void discard_console(const std::string& run_dir) noexcept {
  ::unlink(join(run_dir, kLogName).c_str());
  ::unlink(join(run_dir, kOldName).c_str());
}

}  // namespace pyro::detail

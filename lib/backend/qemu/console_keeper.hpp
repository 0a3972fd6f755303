// The guest's serial console, kept on disk within a bound.
//
// The guest writes its console as fast as it likes, for as long as it likes, also
// while no pyro process watches (a workspace VMM outlives its starter). QEMU can
// only write a chardev to an unbounded file or keep it in memory (lost when QEMU
// dies, which is when the console matters: a panic, a failed boot). So QEMU writes
// it into a FIFO, and a small keeper process of our own copies it to
// `console.log`, moving that to `console.log.old` whenever it reaches
// kConsoleFileBytes: at most twice that on disk, and the last words of a dead VM
// are there. The keeper lives in its own session with no other descriptors, ends
// when QEMU has closed the FIFO (it exited), and then leaves `console.done`; should
// the starting process die before QEMU is up, the keeper ends too (a lifeline pipe).
// Should the keeper die first, the FIFO fills and the guest's console stalls;
// nothing grows on the host.
//
//   ConsoleKeeper keeper = ConsoleKeeper::start(run_dir);  // before QEMU starts
//   ... QEMU runs with console_chardev_path(run_dir) ...
//   keeper.release();  // QEMU is up: the keeper's life is now tied to it
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "util/unique_fd.hpp"

namespace pyro::detail {

/// Each of `console.log` and `console.log.old` stays at or below this.
inline constexpr size_t kConsoleFileBytes = 64 << 10;

/// The path QEMU's `-chardev pipe` takes: QEMU opens `<path>.in` and `<path>.out`.
std::string console_chardev_path(const std::string& run_dir);

class ConsoleKeeper {
 public:
  /// Makes the FIFOs in `run_dir` and starts the keeper. Throws kUnavailable.
  static ConsoleKeeper start(const std::string& run_dir);

  ConsoleKeeper(ConsoleKeeper&& other) noexcept;
  ConsoleKeeper& operator=(ConsoleKeeper&&) = delete;
  /// Unless released, kills the keeper (QEMU never started: no end of FIFO to wait for).
  ~ConsoleKeeper();

  /// QEMU has the FIFO open: from now on the keeper ends with it.
  void release() noexcept;
  int64_t pid() const noexcept { return pid_; }

 private:
  ConsoleKeeper(int64_t pid, UniqueFd lifeline);
  int64_t pid_ = 0;
  UniqueFd lifeline_;  ///< write end; its end-of-file before release() ends the keeper
};

/// The last `max_bytes` of the console of the VM in `run_dir` (old part first).
/// With `vmm_dead`, first waits (up to a second) for the keeper to have copied
/// the dead VMM's last output.
std::string read_console_tail(const std::string& run_dir, size_t max_bytes, bool vmm_dead);

/// Removes the console files of `run_dir` (once what they said is recorded).
void discard_console(const std::string& run_dir) noexcept;

}  // namespace pyro::detail

// The VMM backend interface. The core never names QEMU; it asks a Backend to
// launch a Machine from a MachineSpec. Another VMM (Firecracker on real KVM hosts)
// is added by implementing these two classes and registering it in backend.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pyro::detail {

enum class Accelerator { kKvm, kTcg };
const char* accelerator_name(Accelerator accel) noexcept;  // "kvm" / "tcg"

/// What a guest boots from: an uncompressed ELF vmlinux (PVH entry) and an initramfs,
/// plus optionally an ext4 root filesystem the initramfs switches into.
struct BootSet {
  std::string kernel_path;
  std::string initrd_path;
  std::string rootfs_path;  ///< empty: the initramfs is the root
  std::string environment_sha256;  ///< content hash of the environment (manifest `sha256`)
};

/// A virtio-blk disk, in the order given (/dev/vda, /dev/vdb, ...).
struct Drive {
  std::string path;
  bool read_only = true;
  std::string format = "raw";  ///< "raw" or "qcow2"
  /// Throwaway disks ignore flushes; a disk that must survive the VM (a workspace's)
  /// honours them.
  bool persistent = false;
  /// A qcow2 overlay's backing file (raw), which the VMM opens read-only: reads of
  /// blocks the guest did not write come from it, writes stay in the overlay.
  std::string backing_path;
};

/// Guest RAM backed by a file: `shared` (MAP_SHARED) for a snapshot template, so the
/// RAM is the file; not shared (MAP_PRIVATE) for clones, which then copy on write.
struct MemoryFile {
  std::string path;
  bool shared = false;
};

/// Everything needed to start one VMM process. Paths are absolute.
struct MachineSpec {
  std::string vm_id;
  BootSet boot;
  uint32_t vcpu_count = 1;
  uint32_t mem_mib = 256;
  bool network = false;
  Accelerator accelerator = Accelerator::kTcg;
  std::string run_dir;          ///< private directory for sockets and logs; exists
  std::string agent_socket;     ///< unix socket the host already listens on
  std::vector<std::string> kernel_args;  ///< appended to the backend's own cmdline
  std::vector<Drive> drives;
  std::optional<MemoryFile> memory_file;
  /// Start paused, waiting for load_state() (QEMU `-incoming defer`) instead of booting.
  bool incoming = false;
  /// The VMM daemonizes and outlives this process (a workspace VM): no parent-death
  /// signal, and it listens on `agent_socket` itself, so any later process can connect.
  bool detached = false;
};

/// How a VMM is confined (docs/jail.md). `strict`: a layer the host cannot provide
/// fails the launch. `best-effort` (the default): it is skipped and logged once.
/// `off`: the VMM runs unconfined, as the caller.
enum class JailMode { kOff, kBestEffort, kStrict };

struct JailSettings {
  JailMode mode = JailMode::kBestEffort;
  /// The pyro-jailer binary; throws Error(kUnavailable) saying where it looked.
  std::function<std::string()> locate_jailer;
};

/// One layer of the jail: available on this host, or why not.
struct JailLayer {
  std::string name;  ///< seccomp, no_new_privs, fds, uid, capabilities, mount/pid/ipc/net namespace, cgroup
  bool available = false;
  std::string detail;
};

/// Identifies a VMM process beyond pid reuse.
struct MachineRef {
  int64_t pid = 0;
  uint64_t start_time = 0;  ///< clock ticks since boot, from /proc/<pid>/stat
};

/// One running VMM process. The destructor kills it (if alive), reaps it and
/// removes the sockets it created; no path leaves an orphan process.
class Machine {
 public:
  virtual ~Machine() = default;
  virtual int64_t pid() const = 0;
  virtual MachineRef ref() const = 0;
  /// Gives up ownership: the destructor then leaves the VMM running (detached VMs).
  virtual void release() = 0;
  /// Pauses or resumes the guest's vCPUs (QMP stop / cont).
  virtual void pause(std::chrono::milliseconds timeout) = 0;
  virtual void resume(std::chrono::milliseconds timeout) = 0;
  /// Sends the guest an NMI (QMP inject-nmi): wakes a vCPU that sleeps in HLT
  /// through an interrupt it missed (seen under TCG after a snapshot restore).
  virtual void nudge(std::chrono::milliseconds timeout) = 0;
  /// Non-blocking liveness check (reaps the process once it has exited).
  virtual bool alive() = 0;
  /// After exit: "exited with status 1" or "killed by signal 9", plus the last
  /// lines of the VMM's stderr. Empty while alive.
  virtual std::string exit_description() = 0;
  /// The last `max_bytes` of the guest serial console (for boot failure messages).
  virtual std::string console_tail(size_t max_bytes) = 0;
  /// Asks the VMM to quit (QMP), waits up to `grace`, then SIGKILLs. Always reaps.
  virtual void stop(std::chrono::milliseconds grace) = 0;
  /// SIGKILL and reap, immediately.
  virtual void kill() = 0;
  /// Pauses the guest and writes its device state to `state_path` (with a shared
  /// memory_file the RAM itself stays in that file). The VM stays paused.
  /// Throws kUnavailable / kDeadlineExceeded.
  virtual void save_state(const std::string& state_path, std::chrono::milliseconds timeout) = 0;
  /// For a machine launched with `incoming`: loads `state_path` and resumes the guest.
  virtual void load_state(const std::string& state_path, std::chrono::milliseconds timeout) = 0;
  /// Forwards TCP 127.0.0.1:`host_port` on the host to `guest_port` of the guest
  /// (needs the machine's network). Throws kAlreadyExists when the host port could
  /// not be bound (taken meanwhile), kUnavailable otherwise.
  virtual void add_port_forward(uint32_t host_port, uint32_t guest_port, std::chrono::milliseconds timeout) = 0;
  /// Removes the forward of 127.0.0.1:`host_port`. Throws kNotFound when there is none.
  virtual void remove_port_forward(uint32_t host_port, std::chrono::milliseconds timeout) = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;  ///< "qemu"
  /// Version of the VMM binary, e.g. "7.2.22". Throws Error(kUnavailable) when the
  /// binary is missing or does not run.
  virtual std::string version() = 0;
  /// Starts the VMM process and returns once it runs (not once the guest booted).
  /// Throws Error(kUnavailable) when the VMM cannot start, with its stderr.
  virtual std::unique_ptr<Machine> launch(const MachineSpec& spec) = 0;
  /// A Machine for a detached VMM started earlier, possibly by another process;
  /// `run_dir` is the spec's. It does not own the process: destroying it leaves the
  /// VMM running, stop() and kill() end it.
  virtual std::unique_ptr<Machine> attach(const std::string& run_dir, const MachineRef& ref) = 0;
  /// Creates `overlay_path` (absent) as a copy-on-write overlay of the raw image
  /// `base` and returns the writable Drive for it: the guest may write, `base` is
  /// never written (nor parsed: it is opened as raw). Throws kUnavailable (no
  /// tool, or it failed), kDeadlineExceeded.
  virtual Drive create_overlay(const std::string& base, const std::string& overlay_path) = 0;
  /// Why `accel` cannot work on this host, or "" when it may (a test boot decides).
  virtual std::string accelerator_obstacle(Accelerator accel) = 0;
  /// The jail mode and every layer a VMM gets on this host (none when the mode is off).
  virtual JailMode jail_mode() const = 0;
  virtual std::vector<JailLayer> jail_layers() = 0;
};

/// The QEMU backend. `qemu_binary` empty: qemu-system-x86_64 from PATH.
std::unique_ptr<Backend> make_qemu_backend(const std::string& qemu_binary, JailSettings jail = {});

}  // namespace pyro::detail

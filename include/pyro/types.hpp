// pyro/types.hpp — option aggregates and result values of the pyro API.
//
// Options are aggregates with defaults, usable with designated initializers:
//
//   pyro::ExecResult r = client.run_in_vm("busybox", "uname -a",
//                                         {.timeout_seconds = 10});
//
// New fields are only ever appended.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "pyro/export.hpp"

namespace pyro {
inline namespace v1 {

/// Limits enforced on every surface; documented in docs/limits.md.
struct Limits {
  static constexpr uint32_t kMinVcpuCount = 1;
  static constexpr uint32_t kMaxVcpuCount = 8;
  static constexpr uint32_t kMinMemMib = 64;
  static constexpr uint32_t kMaxMemMib = 16384;
  static constexpr double kMaxTimeoutSeconds = 86400;
  static constexpr uint64_t kMaxOutputBytes = 64ull << 20;
};

/// How a VM is shaped. Used by create_vm and run_in_vm.
struct VmOptions {
  uint32_t vcpu_count = 1;
  uint32_t mem_mib = 256;
  bool network = false;  ///< false: no NIC at all; true: QEMU user-mode networking
};

/// The stream a chunk of a command's output came from.
enum class OutputStream { kStdout, kStderr };

/// One chunk of a running command's output, as it arrives from the guest (since
/// 0.3). In a workspace, secrets are already redacted, also one split across
/// chunks (the bytes that could be the start of a secret are held back until the
/// next chunk shows what they are). `data` is valid only during the call.
struct LiveOutput {
  OutputStream stream = OutputStream::kStdout;
  std::string_view data;  ///< raw bytes, binary-safe, never empty
};

/// Receives output chunks on the thread that called the operation, before it
/// returns; the chunks of one stream concatenate to that stream of the result
/// (redacted the same way; a truncated stream may lack a held-back tail). An
/// exception it throws cancels the command (as a CancelToken would) and is then
/// rethrown by the operation.
using OutputHandler = std::function<void(const LiveOutput& chunk)>;

/// Cancels a running command from any thread (since 0.3). Copies share one
/// state: give a copy to ExecOptions::cancel and call cancel() on another. Once
/// cancelled it stays cancelled; use a new token for the next command.
class CancelToken {
 public:
  CancelToken() : state_(std::make_shared<std::atomic<bool>>(false)) {}
  /// Thread-safe, idempotent, never blocks.
  void cancel() const noexcept { state_->store(true); }
  bool cancelled() const noexcept { return state_->load(); }

 private:
  std::shared_ptr<std::atomic<bool>> state_;
};

/// How one command runs in the guest. The command is a shell string run with
/// `/bin/sh -c`.
struct ExecOptions {
  double timeout_seconds = 30;               ///< the guest kills the command after this
  uint64_t max_output_bytes = 1ull << 20;    ///< per stream; the rest is dropped and flagged
  std::map<std::string, std::string> env;    ///< added to the guest's environment
  std::string cwd;                           ///< empty: the guest's default (/)
  /// ENV_VAR -> secret name, workspaces only (exec_workspace); output is redacted.
  std::map<std::string, std::string> secret_env;
  /// Since 0.3: called with each chunk of output while the command runs.
  OutputHandler on_output;
  /// Since 0.3: cancel() on a copy (from any thread) kills the command's process
  /// group in the guest; the result then says `cancelled` (exit_code 137, signal 9).
  /// The VM or workspace stays usable. A VM still booting (run_in_vm) boots first.
  CancelToken cancel;
};

/// The outcome of one guest command. A non-zero exit is a result, not an error.
struct ExecResult {
  int exit_code = 0;   ///< shell-style: the exit status, or 128+signal when killed
  int signal = 0;      ///< the signal that ended the command, 0 if it exited
  bool timed_out = false;  ///< the guest killed the command at timeout_seconds
  std::string stdout_data;  ///< raw bytes, binary-safe
  std::string stderr_data;  ///< raw bytes, binary-safe
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  uint64_t duration_ms = 0;  ///< command wall time as measured in the guest
  std::string vm_id;
  bool cancelled = false;  ///< since 0.3: ended by ExecOptions::cancel (or a throwing on_output)
};

enum class VmState { kCreated, kRunning, kStopped, kCrashed };

/// Wire name of a state ("created", "running", "stopped", "crashed").
PYRO_API const char* vm_state_name(VmState state) noexcept;

struct VmInfo {
  std::string vm_id;
  std::string environment;
  VmState state = VmState::kCreated;
  uint32_t vcpu_count = 0;
  uint32_t mem_mib = 0;
  bool network = false;
  std::string accelerator;  ///< "kvm" or "tcg" once started, empty before
  int64_t pid = 0;          ///< VMM process id while running, else 0
  std::string created_at;   ///< RFC 3339, UTC
  uint64_t boot_ms = 0;     ///< VMM start to agent hello, once started
};

struct EnvironmentInfo {
  std::string name;         ///< e.g. "busybox", "debian:12"
  std::string description;
  bool installed = false;   ///< artifacts are present in the cache
  std::string path;         ///< cache directory of the artifacts, if installed
  std::string kernel_version;
  std::string agent_version;
  std::string sha256;       ///< content hash of the environment, if installed
  // Since 0.2:
  std::string source;       ///< "catalog" (built by pyro) or "import" (from an OCI/docker image)
  std::string version;      ///< e.g. "12" for debian:12, or the image reference
  std::vector<std::string> packages;  ///< Debian packages requested (catalog) or empty
  uint64_t size_bytes = 0;  ///< bytes the environment takes in the cache
  std::string built_at;     ///< RFC 3339 UTC
  bool has_rootfs = false;  ///< boots into an ext4 root filesystem (false: initramfs only)
  bool snapshot_ready = false;  ///< a snapshot template exists for the default VM shape
};

/// One report of progress from long work (pull_environment, import_environment,
/// create_workspace with a seed). The views are valid only during the call.
/// Stages come in order; within a stage `done` never decreases. Stage names:
/// "download kernel", "build boot set", "build rootfs", "make image",
/// "unpack image", "copy seed", "make disk", "start workspace".
struct Progress {
  std::string_view stage;    ///< what is being done now
  std::string_view message;  ///< a human line about it; may be empty
  uint64_t done = 0;         ///< units finished in this stage
  uint64_t total = 0;        ///< units of the whole stage; 0: unknown
  std::string_view unit;     ///< what done/total count: "bytes", "layers"; empty when unused
};

/// Receives progress on the thread that called the operation, before it returns.
/// (It took a line before; that line is now `message`.)
using ProgressHandler = std::function<void(const Progress& progress)>;

struct PullOptions {
  bool force = false;        ///< rebuild even when the cached environment is current
  ProgressHandler progress;  ///< optional; called from the calling thread
};

struct ImportOptions {
  bool force = false;        ///< replace an imported environment of the same name
  ProgressHandler progress;
};

struct PruneOptions {
  bool all = false;      ///< also remove installed environments, not only stale files
  bool dry_run = false;  ///< report what would be removed, remove nothing
};

struct PruneResult {
  std::vector<std::string> removed;  ///< paths removed (or that would be)
  uint64_t bytes_freed = 0;
};

/// One line of `pyro doctor`: a named check, whether it passed, and why.
struct DoctorCheck {
  std::string name;
  bool ok = false;
  std::string detail;
};

struct DoctorReport {
  std::string accelerator;  ///< "kvm", "tcg" or "" when none is usable
  std::string accelerator_reason;
  std::string qemu_version;
  std::string home;
  std::vector<DoctorCheck> checks;
  bool ok = false;          ///< every check passed
};

}  // namespace v1
}  // namespace pyro

// Where pyro keeps its cache and per-VM runtime files.
//   <home>/environments/<name>/   boot sets (see docs/guest-image.md)
//   <home>/run/<vm_id>/           sockets and logs of one running VM, plus `owner`
//                                 (the pid of the process that started it)
#pragma once

#include <string>

namespace pyro::detail {

/// `configured`, else $PYRO_HOME, else $XDG_CACHE_HOME/pyro, else ~/.cache/pyro.
std::string resolve_home(const std::string& configured);

/// Makes <home> (when it is ours and not a shared sticky directory such as /tmp)
/// and its environments/, workspaces/, run/ and templates/ mode 0700, fixing
/// homes an older pyro made 0755. Logs what it cannot fix; never throws.
void secure_home(const std::string& home) noexcept;

/// Creates <home>/run/<vm_id> (mode 0700) and records the owning pid in it.
std::string create_run_dir(const std::string& home, const std::string& vm_id);

/// Removes a run directory and everything in it; never throws.
void remove_run_dir(const std::string& run_dir) noexcept;

/// Removes run directories whose owner process is gone (a crashed embedder); the
/// VMM of such a directory died with its owner (PR_SET_PDEATHSIG). Never throws.
void sweep_stale_run_dirs(const std::string& home) noexcept;

/// A fresh VM id: "vm-" followed by 12 random hex digits.
std::string new_vm_id();

/// Now as RFC 3339 UTC with seconds, e.g. "2026-11-25T01:02:03Z".
std::string utc_now_rfc3339();

}  // namespace pyro::detail

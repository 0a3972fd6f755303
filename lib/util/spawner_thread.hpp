// One dedicated, process-lifetime thread that performs every fork.
//
// PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, not the
// process. Callers (Python thread pools, std::async) create and destroy threads
// freely, so forking from them would kill VMs at random; forking from a thread
// that lives as long as the process ties the child's life to the process.
#pragma once

#include <functional>

namespace pyro::detail {

/// Runs `task` on the spawner thread and waits for it; rethrows what it throws.
/// The thread is started on first use and never joined (it ends with the process).
/// Safe to call from any thread, also in a child created by fork().
void run_on_spawner_thread(const std::function<void()>& task);

}  // namespace pyro::detail

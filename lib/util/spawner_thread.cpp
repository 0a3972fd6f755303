#include "util/spawner_thread.hpp"

#include <pthread.h>
#include <signal.h>

#include <condition_variable>
#include <deque>
#include <exception>
#include <future>
#include <mutex>
#include <new>
#include <thread>

namespace pyro::detail {
namespace {

class SpawnerThread {
 public:
  SpawnerThread() {
    // Signals meant for the embedding program must not land on this thread; the
    // child unblocks them again before exec.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    std::thread([this] { loop(); }).detach();
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }

  void run(const std::function<void()>& task) {
    std::packaged_task<void()> job(task);
    auto done = job.get_future();
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(job));
    }
    cv_.notify_one();
    done.get();
  }

 private:
  void loop() {
    for (;;) {
      std::packaged_task<void()> job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return !queue_.empty(); });
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      job();  // a packaged_task stores exceptions for the caller
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::packaged_task<void()>> queue_;
};

// The spawner is deliberately leaked: its thread may still use it while static
// destructors run at exit. (std::mutex has a trivial destructor on Linux.)
std::mutex g_mu;
SpawnerThread* g_spawner = nullptr;

// After fork() the child has no spawner thread and maybe a locked mutex: start
// over. Runs in every forked child, so it must not allocate.
void reset_in_forked_child() {
  new (&g_mu) std::mutex;
  g_spawner = nullptr;
}

SpawnerThread& spawner() {
  static const int registered = pthread_atfork(nullptr, nullptr, reset_in_forked_child);
  (void)registered;
  std::lock_guard lock(g_mu);
  if (g_spawner == nullptr) g_spawner = new SpawnerThread();
  return *g_spawner;
}

}  // namespace

void run_on_spawner_thread(const std::function<void()>& task) { spawner().run(task); }

}  // namespace pyro::detail

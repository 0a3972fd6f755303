// Supervised services of a workspace (docs/agent-protocol.md, "Services and shells"):
// started with readiness checks, restarted by policy, logged into an OutputRing.
// They belong to the agent, not to a connection.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "output_ring.hpp"
#include "readiness.hpp"
#include "reaper.hpp"
#include "workspace.hpp"

namespace pyro::agent {

struct Service;

/// Thread-safe; each method may block (start until ready unless `wait` is false,
/// logs while waiting, stop for the grace period), so callers run them on their own threads.
class Services {
 public:
  static constexpr size_t kMaxServices = 32;

  Services(Reaper& reaper, Workspace& workspace) : reaper_(reaper), workspace_(workspace) {}

  nlohmann::json start(const nlohmann::json& params);
  nlohmann::json list();
  nlohmann::json status(const nlohmann::json& params);
  nlohmann::json logs(const nlohmann::json& params);
  nlohmann::json stop(const nlohmann::json& params);

 private:
  struct Launched {
    pid_t pid;
    std::shared_ptr<ExitWatch> watch;
  };

  Launched launch(const Service& svc);
  std::shared_ptr<Service> find(const nlohmann::json& params, const char* method);
  bool wait_ready(const std::shared_ptr<Service>& svc, std::string& last_failure);
  /// Checks readiness until it passes (then running, supervised) or fails (then the
  /// service is ended and its failure recorded). True when ready.
  bool settle_readiness(const std::shared_ptr<Service>& svc);
  void supervise(std::shared_ptr<Service> svc);
  void record_exit_locked(Service& svc, int wait_status);
  nlohmann::json status_locked(const Service& svc) const;

  Reaper& reaper_;
  Workspace& workspace_;
  std::mutex mu_;  // guards services_ and the mutable fields of every Service
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<Service>> services_;
};

}  // namespace pyro::agent

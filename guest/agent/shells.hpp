// Interactive shells on PTYs (docs/agent-protocol.md, "shell_open" ...): the output
// of each is kept in an OutputRing until shell_close. They belong to the agent, not
// to a connection.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "reaper.hpp"
#include "workspace.hpp"

namespace pyro::agent {

struct Shell;

/// Thread-safe; read (wait_ms), write (full PTY) and close (1 s grace) may block.
class Shells {
 public:
  static constexpr size_t kMaxShells = 16;

  Shells(Reaper& reaper, Workspace& workspace, bool is_pid1)
      : reaper_(reaper), workspace_(workspace), is_pid1_(is_pid1) {}

  nlohmann::json open(const nlohmann::json& params);
  nlohmann::json write(const nlohmann::json& params);
  nlohmann::json read(const nlohmann::json& params);
  nlohmann::json resize(const nlohmann::json& params);
  nlohmann::json signal(const nlohmann::json& params);
  nlohmann::json close(const nlohmann::json& params);

 private:
  std::shared_ptr<Shell> find(const nlohmann::json& params, const char* method);

  Reaper& reaper_;
  Workspace& workspace_;
  bool is_pid1_;
  std::mutex mu_;  // guards shells_
  std::map<std::string, std::shared_ptr<Shell>> shells_;
};

}  // namespace pyro::agent

#include "workspace.hpp"

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "agent_error.hpp"

namespace pyro::agent {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mountinfo(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const std::string oct = field.substr(i + 1, 3);
      if (oct.size() == 3 && oct.find_first_not_of("01234567") == std::string::npos) {
        out.push_back(static_cast<char>(std::stoi(oct, nullptr, 8)));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

}  // namespace

bool is_mount_point(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    if (fields >> id >> parent >> devno >> root >> mount_point && unescape_mountinfo(mount_point) == path) {
      return true;
    }
  }
  return false;
}

detail::UniqueFd Workspace::open_root() {
  std::string root;
  {
    std::lock_guard<std::mutex> guard(mu_);
    if (!test_root_ && !mounted_) mounted_ = is_mount_point(root_);
    if (!test_root_ && !mounted_) {
      throw AgentError("failed_precondition",
                       "workspace `" + root_ + "` is not mounted; call workspace_mount first");
    }
    root = root_;
  }
  detail::UniqueFd fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    throw AgentError("failed_precondition",
                     "open workspace root `" + root + "`: " + std::strerror(errno));
  }
  return fd;
}

void Workspace::set_mounted_root(std::string root) {
  std::lock_guard<std::mutex> guard(mu_);
  root_ = std::move(root);
  mounted_ = true;
}

std::string Workspace::root() {
  std::lock_guard<std::mutex> guard(mu_);
  return root_;
}

}  // namespace pyro::agent

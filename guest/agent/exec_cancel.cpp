// Registry of cancellable execs and their eventfd flags.
#include "exec_cancel.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace pyro::agent {

CancelFlag::CancelFlag() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

CancelFlag::~CancelFlag() { ::close(fd_); }

void CancelFlag::fire() noexcept {
  uint64_t one = 1;
  ssize_t n = ::write(fd_, &one, sizeof one);
  (void)n;  // EAGAIN: the counter is already non-zero, the flag already fired
}

std::shared_ptr<CancelFlag> ExecCancels::enter(const Connection* conn, uint32_t stream) {
  auto flag = std::make_shared<CancelFlag>();
  std::lock_guard lock(mu_);
  running_[{conn, stream}] = flag;
  return flag;
}

void ExecCancels::leave(const Connection* conn, uint32_t stream) noexcept {
  std::lock_guard lock(mu_);
  running_.erase({conn, stream});
}

bool ExecCancels::cancel(const Connection* conn, uint32_t stream) noexcept {
  std::lock_guard lock(mu_);
  auto it = running_.find({conn, stream});
  if (it == running_.end()) return false;
  it->second->fire();
  return true;
}

}  // namespace pyro::agent

#include "privileges.hpp"

#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "sys_error.hpp"

namespace pyro_jailer {

int last_capability() {
  std::ifstream in("/proc/sys/kernel/cap_last_cap");
  int last = 0;
  if (in >> last && last > 0 && last < 64) return last;
  return CAP_LAST_CAP;
}

void drop_privileges(std::optional<unsigned> uid, std::optional<unsigned> gid, int last_cap) {
  if (uid && gid) {
    for (int cap = 0; cap <= last_cap; ++cap) {
      if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) fail("drop capability", std::to_string(cap));
    }
    if (::setgroups(0, nullptr) != 0) fail("clear supplementary groups", "");
    if (::setresgid(*gid, *gid, *gid) != 0) fail("switch to gid", std::to_string(*gid));
    if (::setresuid(*uid, *uid, *uid) != 0) fail("switch to uid", std::to_string(*uid));
    // Leaving uid 0 clears the permitted and effective sets; the inheritable one stays.
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (::syscall(SYS_capset, &header, data) != 0) fail("clear capabilities", "");
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) fail("clear ambient capabilities", "");
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("set no_new_privs", "");
}

}  // namespace pyro_jailer

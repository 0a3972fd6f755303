#include "runtime/host_programs.hpp"

#include <algorithm>
#include <array>

#include "util/find_executable.hpp"

namespace pyro::detail {
namespace {

// Kept in step with the `command -v` checks of guest/scripts/build-*.sh and with
// scripts/install-deps.sh (docs/install.md lists the same packages).
constexpr std::array kHostPrograms{
    HostProgram{"qemu-img", "qemu-utils", "workspace disks and snapshots"},
    HostProgram{"mke2fs", "e2fsprogs", "environment images and workspace disks"},
    HostProgram{"/bin/busybox", "busybox-static", "the busybox environment"},
    HostProgram{"apt-get", "apt", "downloading the guest kernel"},
    HostProgram{"apt-cache", "apt", "downloading the guest kernel"},
    HostProgram{"dpkg-deb", "dpkg", "unpacking the guest kernel"},
    HostProgram{"depmod", "kmod", "the guest kernel's modules"},
    HostProgram{"cpio", "cpio", "the initramfs"},
    HostProgram{"lz4", "lz4", "the initramfs"},
    HostProgram{"file", "file", "checking the guest agent binary"},
    HostProgram{"flock", "util-linux", "serialising environment builds"},
    HostProgram{"mmdebstrap", "mmdebstrap", "the Debian environments (debian_12, ...)", false},
};

}  // namespace

std::span<const HostProgram> host_programs() { return kHostPrograms; }

std::vector<HostProgram> missing_host_programs() {
  std::vector<HostProgram> missing;
  for (const HostProgram& p : kHostPrograms) {
    if (find_executable(std::string(p.program)).empty()) missing.push_back(p);
  }
  return missing;
}

std::string install_command(const std::vector<HostProgram>& missing) {
  std::vector<std::string_view> packages;
  for (const HostProgram& p : missing) {
    if (std::find(packages.begin(), packages.end(), p.package) == packages.end()) packages.push_back(p.package);
  }
  std::string command = "apt-get install";
  for (std::string_view package : packages) (command += ' ') += package;
  return command;
}

}  // namespace pyro::detail

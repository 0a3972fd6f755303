// Opening the agent's end of the channel: the virtio-serial port `pyro.agent`, or a
// unix socket in test mode.
#pragma once

#include <cstddef>
#include <string>

namespace pyro::agent {

inline constexpr const char* kPortName = "pyro.agent";

/// The /dev path of the virtio port whose sysfs name is `name`, or "" if none yet.
std::string find_virtio_port(const std::string& name);

/// Opens `path` read-write, non-blocking, close-on-exec. Returns -1 with errno set.
int open_port(const std::string& path);

/// Blocks until the host side of a virtio port is connected (the port reports
/// POLLHUP while it is not), polling every 50 ms.
void wait_host_connected(int fd);

/// A close-on-exec duplicate of `fd` (one per host connection, so closing the
/// connection never closes the held port). Returns -1 with errno set.
int dup_port(int fd);

/// Reads and drops whatever the port holds until it stays quiet for `quiet_ms` or
/// the host hangs up: the bytes of a frame torn by a host that left before the
/// agent noticed. Returns how many bytes were dropped.
size_t drain_port(int fd, int quiet_ms);

/// Connects a non-blocking, close-on-exec unix stream socket to `path`.
/// Returns -1 with errno set.
int connect_unix(const std::string& path);

}  // namespace pyro::agent

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

/// Asks for SIGIO to the calling thread whenever the host side of port `fd` connects
/// or hangs up (virtio_console signals both), so that wait_host_connected() sleeps
/// instead of polling: an idle VM's agent then wakes only when a host comes. Blocks
/// SIGIO in the calling thread (threads it starts inherit that; children reset their
/// mask before exec). Call once, from the thread that waits, before it starts others.
/// On failure the waits poll, as without it.
void notify_host_changes(int fd);

/// Blocks until the host side of a virtio port is connected (the port reports
/// POLLHUP while it is not): sleeps until SIGIO after notify_host_changes(), with a
/// look every 5 s in case none comes; else, or once a connection was seen that
/// signalled nothing, polls every 50 ms.
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

// SHA-256 (FIPS 180-4) for the agent's `fs_manifest` and `expect_sha256` checks.
// lib/util/sha256.cpp formats with fmt, which the static agent does not link, so
// the agent has this standard-library copy; tests/unit/test_agent_fs.cpp checks
// its output against lib/util's on the same files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pyro::agent {

class Sha256 {
 public:
  void update(const void* data, size_t len);
  void update(std::string_view data) { update(data.data(), data.size()); }
  /// Finishes the hash; lowercase hex. Call once.
  std::string hex();

 private:
  void compress(const unsigned char* block);
  uint32_t h_[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  unsigned char buf_[64] = {};
  size_t used_ = 0;
  uint64_t total_ = 0;
};

/// Lowercase hex SHA-256 of everything readable from `fd` (read from its current
/// offset to EOF). Returns "" and sets errno when a read fails.
std::string sha256_fd_hex(int fd);

}  // namespace pyro::agent

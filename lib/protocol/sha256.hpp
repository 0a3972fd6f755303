// SHA-256 (FIPS 180-4), shared by the host and the guest agent: the protocol
// carries content hashes (fs_manifest, fs_apply's expect_sha256) that both sides
// compute. None of pyro's allowed dependencies exposes one, so it is implemented
// once, here, with the standard library only; checked against the NIST vectors in
// tests/unit/test_sha256.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pyro::protocol {

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

/// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

/// Lowercase hex SHA-256 of a file's content; "" when it cannot be read.
std::string sha256_file_hex(const std::string& path);

/// Lowercase hex SHA-256 of what is left to read from `fd`; "" on a read error.
std::string sha256_fd_hex(int fd);

}  // namespace pyro::protocol

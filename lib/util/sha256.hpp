// SHA-256 (FIPS 180-4). None of pyro's allowed dependencies exposes one, so it is
// implemented once, here; checked against the NIST vectors in tests/unit/test_sha256.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pyro::detail {

class Sha256 {
 public:
  void update(const unsigned char* data, size_t len);
  void update(std::string_view data) {
    update(reinterpret_cast<const unsigned char*>(data.data()), data.size());
  }
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

}  // namespace pyro::detail

// SHA-256 on the host: the implementation shared with the guest agent.
#pragma once

#include "protocol/sha256.hpp"

namespace pyro::detail {
using protocol::Sha256;
using protocol::sha256_file_hex;
using protocol::sha256_hex;
}  // namespace pyro::detail

// The read params and read result shared by service_logs and shell_read.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "output_ring.hpp"

namespace pyro::agent {

/// cursor, lookbehind, max_bytes, wait_ms. Throws AgentError `invalid_argument`.
RingReadParams parse_ring_read(const nlohmann::json& params, std::string_view method);

/// {"data" (base64), "offset", "start", "end", "missed", "more", "finished"}.
nlohmann::json ring_result_json(const RingReadResult& r);

}  // namespace pyro::agent

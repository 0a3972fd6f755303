// Ring read params and results on the wire.
#include "ring_params.hpp"

#include <limits>

#include "process_params.hpp"
#include "protocol/base64.hpp"

namespace pyro::agent {

RingReadParams parse_ring_read(const nlohmann::json& params, std::string_view method) {
  RingReadParams p;
  p.cursor = param_uint(params, method, "cursor", 0, 0, std::numeric_limits<int64_t>::max());
  p.lookbehind = param_uint(params, method, "lookbehind", 0, 0, 65536);
  p.max_bytes = param_uint(params, method, "max_bytes", 65536, 1, 1u << 20);
  p.wait_ms = static_cast<int64_t>(param_uint(params, method, "wait_ms", 0, 0, 600000));
  return p;
}

nlohmann::json ring_result_json(const RingReadResult& r) {
  return {{"data", protocol::base64_encode(r.data)},
          {"offset", r.offset},
          {"start", r.start},
          {"end", r.end},
          {"missed", r.missed},
          {"more", r.more},
          {"finished", r.finished}};
}

}  // namespace pyro::agent

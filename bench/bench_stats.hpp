// bench_stats.hpp — timing and summary helpers shared by the pyro_bench series.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include <nlohmann/json.hpp>

namespace pyro_bench {

using Clock = std::chrono::steady_clock;

inline double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

/// n, min, p50, p95, max (nearest-rank percentiles), rounded to 1 µs.
inline nlohmann::json summarize(std::vector<double> v) {
  if (v.empty()) return {{"n", 0}};
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    size_t i = static_cast<size_t>(q * static_cast<double>(v.size()) + 0.999999);
    return v[std::min(v.size(), std::max<size_t>(i, 1)) - 1];
  };
  auto r = [](double x) { return std::round(x * 1000) / 1000; };
  return {{"n", v.size()}, {"min", r(v.front())}, {"p50", r(at(0.5))}, {"p95", r(at(0.95))},
          {"max", r(v.back())}};
}

/// Lower median, as the speedup ratios use it.
inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[(v.size() - 1) / 2];
}

}  // namespace pyro_bench

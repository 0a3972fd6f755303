#include "runtime/host_cpu.hpp"

#include <fstream>
#include <sstream>

#include "util/sha256.hpp"

namespace pyro::detail {

using protocol::sha256_hex;

std::string cpu_signature(std::string_view cpuinfo) {
  static constexpr std::string_view kFields[] = {"vendor_id", "cpu family", "model", "stepping", "microcode", "flags"};
  std::istringstream in{std::string(cpuinfo)};
  std::string line, text;
  while (std::getline(in, line)) {
    if (line.empty()) break;  // the end of the first processor
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
    for (std::string_view field : kFields) {
      if (key == field) text += key + "=" + line.substr(colon + 1) + "\n";
    }
  }
  return text.empty() ? "" : sha256_hex(text);
}

std::string template_cpu_signature(Accelerator accel) {
  if (accel != Accelerator::kKvm) return {};
  std::ifstream in("/proc/cpuinfo");
  std::ostringstream text;
  text << in.rdbuf();
  return cpu_signature(text.str());
}

}  // namespace pyro::detail

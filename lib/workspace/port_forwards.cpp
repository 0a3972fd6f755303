#include "workspace/port_forwards.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "pyro/error.hpp"
#include "util/unique_fd.hpp"

namespace pyro::detail {
namespace {
constexpr const char* kPortsFile = "ports.json";
}  // namespace

PortTable load_port_table(const std::string& run_dir) {
  PortTable table;
  std::ifstream in(run_dir + "/" + kPortsFile);
  if (!in) return table;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    for (const auto& [name, entry] : j.at("services").items()) {
      ServicePorts sp;
      sp.restart = entry.value("restart", "never");
      sp.max_restarts = entry.value("max_restarts", 0u);
      for (const auto& p : entry.at("ports")) {
        sp.ports.push_back({p.at("guest_port").get<uint32_t>(), p.at("host_port").get<uint32_t>(),
                            p.value("host", "127.0.0.1")});
      }
      table.emplace(name, std::move(sp));
    }
  } catch (const std::exception&) {
    table.clear();
  }
  return table;
}

void save_port_table(const std::string& run_dir, const PortTable& table) {
  const std::string path = run_dir + "/" + kPortsFile;
  if (table.empty()) {
    ::unlink(path.c_str());
    return;
  }
  nlohmann::json services = nlohmann::json::object();
  for (const auto& [name, sp] : table) {
    nlohmann::json ports = nlohmann::json::array();
    for (const auto& p : sp.ports) {
      ports.push_back({{"guest_port", p.guest_port}, {"host_port", p.host_port}, {"host", p.host}});
    }
    services[name] = {{"ports", ports}, {"restart", sp.restart}, {"max_restarts", sp.max_restarts}};
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << nlohmann::json{{"services", services}}.dump(2) << "\n";
    out.flush();
    if (!out) throw Error(ErrorCode::kResourceExhausted, fmt::format("write `{}`: {}", tmp, std::strerror(errno)));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    throw Error(ErrorCode::kInternal, fmt::format("rename `{}`: {}", tmp, std::strerror(errno)));
  }
}

uint32_t pick_free_loopback_port() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw Error(ErrorCode::kResourceExhausted, fmt::format("pick a host port: socket: {}", std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw Error(ErrorCode::kResourceExhausted, fmt::format("pick a host port on 127.0.0.1: {}", std::strerror(errno)));
  }
  return ntohs(addr.sin_port);
}

}  // namespace pyro::detail

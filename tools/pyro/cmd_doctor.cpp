// `pyro doctor`: the doctor operation. Checks the host and says why anything
// is unusable; exits 1 when a check failed so scripts can gate on it.
#include <array>

#include <fmt/format.h>

#include "args.hpp"
#include "cli.hpp"
#include "output.hpp"
#include "pyro/client.hpp"

namespace pyro_cli {
namespace {

constexpr std::array<FlagSpec, 1> kFlags = {{
    {"json", 0, "", "print the report as one JSON object"},
}};

constexpr CommandSpec kSpec = {
    .path = "doctor",
    .usage = "pyro doctor [--json]",
    .summary = "Check the host: VMM, accelerator, kernel and cache, saying why anything is unusable.",
    .flags = kFlags,
    .details = "exit status: 0 when every check passed, 1 when one failed, 125 when pyro failed.\n",
};

std::string format_report(const pyro::DoctorReport& report) {
  std::string out;
  size_t width = 0;
  for (const auto& c : report.checks) width = std::max(width, c.name.size());
  for (const auto& c : report.checks) {
    out += fmt::format("{:<4}  {:<{}}  {}\n", c.ok ? "ok" : "FAIL", c.name, width, c.detail);
  }
  out += fmt::format("\naccelerator: {}\n", report.accelerator.empty() ? "none" : report.accelerator);
  if (!report.accelerator_reason.empty()) out += fmt::format("reason: {}\n", report.accelerator_reason);
  if (!report.qemu_version.empty()) out += fmt::format("qemu: {}\n", report.qemu_version);
  if (!report.home.empty()) out += fmt::format("home: {}\n", report.home);
  return out;
}

}  // namespace

int cmd_doctor(const GlobalOptions& global, Args args) {
  ParsedArgs parsed = parse_args(kSpec, args);
  if (parsed.help) {
    write_bytes(stdout, format_help(kSpec));
    return kExitOk;
  }
  if (!parsed.positionals.empty()) {
    throw UsageError("doctor", fmt::format("unexpected argument `{}`", parsed.positionals[0]));
  }
  pyro::Pyro client(global.client);
  pyro::DoctorReport report = client.doctor();
  if (parsed.has("json")) {
    print_json_line(json_of(report));
  } else {
    write_bytes(stdout, format_report(report));
  }
  return report.ok ? kExitOk : kExitCheckFailed;
}

}  // namespace pyro_cli

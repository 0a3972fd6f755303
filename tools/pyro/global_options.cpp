#include "global_options.hpp"

#include <vector>

#include <fmt/format.h>

namespace pyro_cli {
namespace {

const std::vector<FlagSpec> kGlobalFlags = {
    {"home", 0, "DIR", "cache and state directory (default: $PYRO_HOME, else ~/.cache/pyro)"},
    {"accelerator", 0, "auto|kvm|tcg", "how to run guests (default: $PYRO_ACCEL, else auto)"},
    {"guest-dir", 0, "DIR", "guest agent and build scripts (default: $PYRO_GUEST_DIR, else installed)"},
    {"auto-pull", 0, "", "pull a catalog environment on first use instead of failing"},
    {"no-snapshots", 0, "", "boot every VM from scratch (default: $PYRO_SNAPSHOTS, else on)"},
    {"jail", 0, "strict|best-effort|off", "how each VMM is confined (default: $PYRO_JAIL, else best-effort)"},
    {"verbose", 'v', "", "log more on stderr: -v info, -vv debug, -vvv trace", true},
    {"version", 0, "", "print the library version and exit"},
};

constexpr std::string_view kGlobalDetails =
    "Results go to stdout; logs, notes and errors go to stderr.\n"
    "\n"
    "exit status:\n"
    "  N     `run`, `workspace exec`: the command's exit code (128+N if killed by N)\n"
    "  0     success\n"
    "  1     `pyro doctor`: a check failed; `pyro workspace patch apply`: not applied\n"
    "  64    usage error (bad flag, missing argument)\n"
    "  125   pyro itself failed (VM did not boot, environment not found, ...)\n"
    "  128+N interrupted by signal N (the VM is deleted first)\n";

const CommandSpec kGlobalSpec = {
    .path = "",
    .usage = "pyro [GLOBAL OPTIONS] VERB [ARGS...]",
    .summary = "Run shell commands in throwaway QEMU microVMs and persistent workspaces.",
    .flags = kGlobalFlags,
    .details = std::string(kGlobalDetails),
    .stop_at_positional = true,
};

}  // namespace

const CommandSpec& global_spec() { return kGlobalSpec; }

CommandLine parse_command_line(Args args) {
  ParsedArgs parsed = parse_args(kGlobalSpec, args);
  CommandLine line;
  line.help = parsed.help;
  line.version = parsed.has("version");
  if (auto* v = parsed.value("home")) line.global.client.home = *v;
  if (auto* v = parsed.value("accelerator")) line.global.client.accelerator = *v;
  if (auto* v = parsed.value("guest-dir")) line.global.client.guest_dir = *v;
  line.global.client.auto_pull = parsed.has("auto-pull");
  // A std::string, not "0": gcc 12 reports a bogus -Wrestrict for the char* assignment.
  if (parsed.has("no-snapshots")) line.global.client.snapshots = std::string("0");
  if (auto* v = parsed.value("jail")) line.global.client.jail = *v;
  line.global.verbosity = static_cast<int>(parsed.count("verbose"));
  line.verb = parsed.consumed;
  return line;
}

bool is_global_flag(std::string_view flag) {
  for (const auto& f : kGlobalFlags) {
    if (flag == fmt::format("--{}", f.name)) return true;
    if (f.short_name != 0 && flag == fmt::format("-{}", f.short_name)) return true;
  }
  return false;
}

}  // namespace pyro_cli

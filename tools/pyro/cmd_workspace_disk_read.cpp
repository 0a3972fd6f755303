// `pyro workspace disk read`: the read_workspace_disk operation.
#include "cli.hpp"
#include "workspace_file_verbs.hpp"

namespace pyro_cli {
namespace {

constexpr CommandSpec kSpec = {
    .path = "workspace disk read",
    .usage = "pyro workspace disk read WORKSPACE PATH [--max-bytes N] [--json]",
    .summary = "Read a text file from a stopped workspace's disk, without starting it.",
    .flags = kFileReadFlags,
    .details = kFileReadDetails,
};

}  // namespace

int cmd_read_workspace_disk(const GlobalOptions& global, Args args) {
  return run_file_read_verb(kSpec, global, args, &pyro::Pyro::read_workspace_disk);
}

}  // namespace pyro_cli

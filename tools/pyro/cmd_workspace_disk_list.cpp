// `pyro workspace disk list`: the list_workspace_disk operation.
#include "cli.hpp"
#include "workspace_file_verbs.hpp"

namespace pyro_cli {
namespace {

constexpr CommandSpec kSpec = {
    .path = "workspace disk list",
    .usage = "pyro workspace disk list WORKSPACE [PATH] [--recursive] [--json]",
    .summary = "List files on a stopped workspace's disk, without starting it.",
    .flags = kFileListFlags,
    .details = kFileListDetails,
};

}  // namespace

int cmd_list_workspace_disk(const GlobalOptions& global, Args args) {
  return run_file_list_verb(kSpec, global, args, &pyro::Pyro::list_workspace_disk);
}

}  // namespace pyro_cli

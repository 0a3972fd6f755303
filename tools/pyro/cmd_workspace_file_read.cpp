// `pyro workspace file read`: the read_workspace_file operation.
#include "cli.hpp"
#include "workspace_file_verbs.hpp"

namespace pyro_cli {
namespace {

constexpr CommandSpec kSpec = {
    .path = "workspace file read",
    .usage = "pyro workspace file read WORKSPACE PATH [--max-bytes N] [--json]",
    .summary = "Read a text file under /workspace of a running workspace.",
    .flags = kFileReadFlags,
    .details = kFileReadDetails,
};

}  // namespace

int cmd_read_workspace_file(const GlobalOptions& global, Args args) {
  return run_file_read_verb(kSpec, global, args, &pyro::Pyro::read_workspace_file);
}

}  // namespace pyro_cli

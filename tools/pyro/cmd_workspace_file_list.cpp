// `pyro workspace file list`: the list_workspace_files operation.
#include "cli.hpp"
#include "workspace_file_verbs.hpp"

namespace pyro_cli {
namespace {

constexpr CommandSpec kSpec = {
    .path = "workspace file list",
    .usage = "pyro workspace file list WORKSPACE [PATH] [--recursive] [--json]",
    .summary = "List a directory (or one file) under /workspace of a running workspace.",
    .flags = kFileListFlags,
    .details = kFileListDetails,
};

}  // namespace

int cmd_list_workspace_files(const GlobalOptions& global, Args args) {
  return run_file_list_verb(kSpec, global, args, &pyro::Pyro::list_workspace_files);
}

}  // namespace pyro_cli

// `pyro workspace ...`: the verb group of the workspace operations, with its
// sub-groups (sync, file, patch, snapshot, disk, service, shell) and their help texts.
#include <string_view>

#include <fmt/format.h>

#include "cli.hpp"
#include "output.hpp"

namespace pyro_cli {
namespace {

constexpr std::string_view kWorkspaceHelp =
    "usage: pyro workspace SUB-VERB [ARGS...]\n"
    "\n"
    "Workspaces: long-lived VMs with a persistent /workspace disk. They outlive the\n"
    "`pyro` process that created them; any later call drives one by id or name.\n"
    "\n"
    "sub-verbs:\n"
    "  create ENV [--seed-path PATH] [--name N] ...  create and start a workspace, print its id\n"
    "  list                                          list every workspace\n"
    "  status WS                                     describe one workspace\n"
    "  update WS [--name N] [--label K=V]...         rename or relabel\n"
    "  delete WS                                     stop and delete, with disk and snapshots\n"
    "  exec WS [OPTIONS] -- COMMAND...               run one shell command, exit with its status\n"
    "  sync push WS SOURCE [--dest DIR]              copy a host directory or archive in\n"
    "  file list|read|write WS ...                   files under /workspace (running)\n"
    "  patch apply WS --patch-file F [--dry-run]     apply a unified diff, all or nothing\n"
    "  diff WS [--stat]                              changes since the baseline\n"
    "  export WS PATH OUTPUT                         copy a file or tree out to the host\n"
    "  snapshot create|list|delete WS [NAME]         named copies of the /workspace disk\n"
    "  reset WS [--snapshot NAME]                    restart from the baseline or a snapshot\n"
    "  stop WS / start WS                            shut down / boot again\n"
    "  disk list|read|export WS ...                  inspect a stopped workspace's disk offline\n"
    "  service start|list|status|logs|stop WS ...    long-running processes (servers, databases)\n"
    "  shell open|write|read|signal|resize|close ... interactive shells whose state persists\n"
    "\n"
    "Most sub-verbs take --json. `pyro workspace SUB-VERB --help` describes one.\n";

constexpr std::string_view kSyncHelp =
    "usage: pyro workspace sync push WORKSPACE SOURCE [--dest DIR] [--json]\n"
    "\n"
    "sub-verbs:\n"
    "  push WS SOURCE   copy a host directory or archive into a running workspace\n";

constexpr std::string_view kFileHelp =
    "usage: pyro workspace file SUB-VERB WORKSPACE ...\n"
    "\n"
    "Files under /workspace of a running workspace.\n"
    "\n"
    "sub-verbs:\n"
    "  list WS [PATH] [--recursive] [--json]               list a directory or one file\n"
    "  read WS PATH [--max-bytes N] [--json]               print a text file\n"
    "  write WS PATH [--text TEXT | --from-file F] [--json] create or replace a text file\n";

constexpr std::string_view kPatchHelp =
    "usage: pyro workspace patch apply WORKSPACE --patch-file F [--dry-run] [--json]\n"
    "\n"
    "sub-verbs:\n"
    "  apply WS --patch-file F   apply a unified diff: every hunk, or nothing (exit 1)\n";

constexpr std::string_view kSnapshotHelp =
    "usage: pyro workspace snapshot SUB-VERB WORKSPACE [NAME]\n"
    "\n"
    "sub-verbs:\n"
    "  create WS NAME [--json]   save the /workspace disk under NAME\n"
    "  list WS [--json]          list the snapshots\n"
    "  delete WS NAME            delete a snapshot\n"
    "\n"
    "`pyro workspace reset WS --snapshot NAME` restores one.\n";

constexpr std::string_view kDiskHelp =
    "usage: pyro workspace disk SUB-VERB WORKSPACE ...\n"
    "\n"
    "Offline inspection of a stopped workspace's /workspace disk, without starting it.\n"
    "\n"
    "sub-verbs:\n"
    "  list WS [PATH] [--recursive] [--json]   list a directory or one file\n"
    "  read WS PATH [--max-bytes N] [--json]   print a text file\n"
    "  export WS OUTPUT [--json]               copy the raw ext4 image to a new host file\n";

constexpr std::string_view kServiceHelp =
    "usage: pyro workspace service SUB-VERB WORKSPACE ...\n"
    "\n"
    "Services: long-running processes supervised by the guest agent. They survive\n"
    "exec calls and end with the workspace (stop, reset, delete).\n"
    "\n"
    "sub-verbs:\n"
    "  start WS NAME [--publish PORT]... [--ready-http URL|--ready-tcp PORT|--ready-file PATH|\n"
    "        --ready-command CMD] [OPTIONS] -- COMMAND...   start and wait until ready\n"
    "  list WS [--json]                                     every service with its state\n"
    "  status WS NAME [--json]                              state, pid, exit code, restarts\n"
    "  logs WS NAME [--cursor N|--tail N] [--follow] ...    output, the last lines or from a cursor\n"
    "  stop WS NAME [--signal SIG] [--grace SECONDS]        signal, then SIGKILL after the grace\n"
    "\n"
    "`pyro workspace service SUB-VERB --help` describes one.\n";

constexpr std::string_view kShellHelp =
    "usage: pyro workspace shell SUB-VERB WORKSPACE ...\n"
    "\n"
    "Interactive shells on a PTY: cwd and variables persist between writes; output is\n"
    "kept in a ring and read from a cursor, so it can be replayed.\n"
    "\n"
    "sub-verbs:\n"
    "  open WS [--cwd DIR] [--env K=V]... [--secret-env E=S]... [--json]   print a shell id\n"
    "  write WS SHELL INPUT|- [--no-newline]                  type a line (or stdin)\n"
    "  read WS SHELL [--cursor N] [--max-bytes N] [--wait S]  output on stdout, next cursor on stderr\n"
    "  signal WS SHELL [--signal SIG]                          signal the foreground job (INT: Ctrl-C)\n"
    "  resize WS SHELL --cols N --rows N                       change the terminal size\n"
    "  close WS SHELL                                          end the shell\n"
    "\n"
    "`pyro workspace shell SUB-VERB --help` describes one.\n";

struct SubVerb {
  std::string_view name;
  int (*run)(const GlobalOptions&, Args);
};

bool is_help(const std::string& word) { return word == "--help" || word == "-h"; }

// Runs the sub-verb named by args[0] among `verbs`, or prints `help`.
int dispatch_group(const GlobalOptions& global, std::string_view group, std::string_view help,
                   std::initializer_list<SubVerb> verbs, Args args) {
  if (args.empty()) {
    throw UsageError(std::string(group),
                     fmt::format("missing sub-verb after `{}`: try `pyro {} --help`", group, group));
  }
  if (is_help(args[0])) {
    write_bytes(stdout, help);
    return kExitOk;
  }
  for (const auto& v : verbs) {
    if (args[0] == v.name) return v.run(global, args.subspan(1));
  }
  throw UsageError(std::string(group), fmt::format("unknown verb `{} {}`: try `pyro {} --help`",
                                                   group, args[0], group));
}

}  // namespace

int dispatch_workspace(const GlobalOptions& global, Args args) {
  if (!args.empty()) {
    // Sub-groups first: their words are not verbs of their own.
    const std::string& word = args[0];
    Args rest = args.subspan(1);
    if (word == "sync") {
      return dispatch_group(global, "workspace sync", kSyncHelp,
                            {{"push", cmd_push_workspace_sync}}, rest);
    }
    if (word == "file") {
      return dispatch_group(global, "workspace file", kFileHelp,
                            {{"list", cmd_list_workspace_files},
                             {"read", cmd_read_workspace_file},
                             {"write", cmd_write_workspace_file}},
                            rest);
    }
    if (word == "patch") {
      return dispatch_group(global, "workspace patch", kPatchHelp,
                            {{"apply", cmd_apply_workspace_patch}}, rest);
    }
    if (word == "snapshot") {
      return dispatch_group(global, "workspace snapshot", kSnapshotHelp,
                            {{"create", cmd_create_snapshot},
                             {"list", cmd_list_snapshots},
                             {"delete", cmd_delete_snapshot}},
                            rest);
    }
    if (word == "service") {
      return dispatch_group(global, "workspace service", kServiceHelp,
                            {{"start", cmd_start_service},
                             {"list", cmd_list_services},
                             {"status", cmd_status_service},
                             {"logs", cmd_logs_service},
                             {"stop", cmd_stop_service}},
                            rest);
    }
    if (word == "shell") {
      return dispatch_group(global, "workspace shell", kShellHelp,
                            {{"open", cmd_open_shell},
                             {"write", cmd_write_shell},
                             {"read", cmd_read_shell},
                             {"signal", cmd_signal_shell},
                             {"resize", cmd_resize_shell},
                             {"close", cmd_close_shell}},
                            rest);
    }
    if (word == "disk") {
      return dispatch_group(global, "workspace disk", kDiskHelp,
                            {{"list", cmd_list_workspace_disk},
                             {"read", cmd_read_workspace_disk},
                             {"export", cmd_export_workspace_disk}},
                            rest);
    }
  }
  return dispatch_group(global, "workspace", kWorkspaceHelp,
                        {{"create", cmd_create_workspace},
                         {"list", cmd_list_workspaces},
                         {"status", cmd_status_workspace},
                         {"update", cmd_update_workspace},
                         {"delete", cmd_delete_workspace},
                         {"exec", cmd_exec_workspace},
                         {"diff", cmd_diff_workspace},
                         {"export", cmd_export_workspace},
                         {"reset", cmd_reset_workspace},
                         {"stop", cmd_stop_workspace},
                         {"start", cmd_start_workspace}},
                        args);
}

}  // namespace pyro_cli

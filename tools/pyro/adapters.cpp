#include "adapters.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "command_table.hpp"
#include "interrupt.hpp"
#include "output.hpp"
#include "progress_printer.hpp"
#include "pyro/client.hpp"
#include "pyro/error.hpp"
#include "pyro/operations.hpp"
#include "render.hpp"

namespace pyro_cli {
namespace {

using nlohmann::json;

// The arguments as JSON text; a word that is not UTF-8 cannot be sent.
std::string arguments_text(const json& args) {
  try {
    return args.dump();
  } catch (const json::type_error&) {
    throw pyro::Error(pyro::ErrorCode::kInvalidArgument, "encode arguments: a value is not valid UTF-8");
  }
}

[[noreturn]] void usage(const Command& cmd, const std::string& message) { throw UsageError(cmd.verb, message); }

void exclusive(const Command& cmd, const ParsedArgs& parsed, std::string_view a, std::string_view b) {
  if (parsed.has(a) && parsed.has(b)) usage(cmd, fmt::format("give either `--{}` or `--{}`, not both", a, b));
}

// --- exec-like verbs: the guest's bytes relayed exactly --------------------
// JSON strings cannot carry bytes that are not UTF-8, so the human form runs the
// typed call and relays its raw output; --json is Pyro::call like every verb.

pyro::ExecOptions exec_options(const Command& cmd, const json& args) {
  pyro::ExecOptions exec;
  exec.timeout_seconds = argument_or_default(cmd, args, "timeout_seconds").get<double>();
  exec.max_output_bytes = argument_or_default(cmd, args, "max_output_bytes").get<uint64_t>();
  exec.cwd = args.value("cwd", "");
  exec.env = args.value("env", std::map<std::string, std::string>{});
  exec.secret_env = args.value("secret_env", std::map<std::string, std::string>{});
  return exec;
}

// The guest's output goes to our stdout and stderr as it arrives (write_bytes
// flushes each chunk): nothing is buffered until the command ends.
pyro::ExecOptions live_exec_options(const Command& cmd, const json& args, const pyro::CancelToken& cancel) {
  pyro::ExecOptions exec = exec_options(cmd, args);
  exec.cancel = cancel;
  exec.on_output = [](const pyro::LiveOutput& chunk) {
    write_bytes(chunk.stream == pyro::OutputStream::kStderr ? stderr : stdout, chunk.data);
  };
  return exec;
}

// The output was relayed live: only the notes (timeout, truncation, cancel) remain.
int relay(const Command& cmd, const json& args, const pyro::ExecResult& r) {
  json raw = {{"exit_code", r.exit_code},          {"timed_out", r.timed_out},
              {"stdout", ""},                      {"stderr", ""},
              {"stdout_truncated", r.stdout_truncated}, {"stderr_truncated", r.stderr_truncated}};
  const std::string& err = r.stderr_data;
  // Keep a note on a line of its own even when the guest's stderr has no final newline.
  if ((r.timed_out || r.stdout_truncated || r.stderr_truncated) && !err.empty() && err.back() != '\n') {
    write_bytes(stderr, "\n");
  }
  relay_exec(raw, argument_or_default(cmd, args, "timeout_seconds"),
             argument_or_default(cmd, args, "max_output_bytes"));
  return r.exit_code;
}

// --json: the one JSON result at the end (no live relay: stdout holds one JSON line);
// a signal still cancels the command.
int call_cancellable(const Command& cmd, const json& args, pyro::Pyro& client,
                     const pyro::CancelToken& cancel) {
  pyro::CallOptions options;
  options.cancel = cancel;
  std::string text = client.call(cmd.op, arguments_text(args), options);
  json result = json::parse(text);
  write_bytes(stdout, text + "\n");
  return exit_status(cmd, result);
}


int run_in_vm(const Command& cmd, const ParsedArgs& parsed, json& args, const GlobalOptions& global) {
  pyro::Pyro client(global.client);
  pyro::CancelToken cancel;
  InterruptGuard guard(client, &cancel);  // Ctrl-C cancels the command and deletes the VM, then exits 128+N
  int status = kExitPyroError;
  try {
    if (parsed.has("json")) {
      status = call_cancellable(cmd, args, client, cancel);
    } else {
      pyro::VmOptions vm;
      vm.vcpu_count = argument_or_default(cmd, args, "vcpu_count").get<uint32_t>();
      vm.mem_mib = argument_or_default(cmd, args, "mem_mib").get<uint32_t>();
      vm.network = args.value("network", false);
      status = relay(cmd, args, client.run_in_vm(args["environment"].get<std::string>(), args["command"].get<std::string>(),
                                                 vm, live_exec_options(cmd, args, cancel)));
    }
  } catch (...) {
    guard.check();  // an interrupted run fails; report the interruption instead
    throw;
  }
  guard.check();
  return status;
}

int exec_workspace(const Command& cmd, const ParsedArgs& parsed, json& args, const GlobalOptions& global) {
  pyro::Pyro client(global.client);
  pyro::CancelToken cancel;
  // Ctrl-C cancels the command (the guest kills its process group); the workspace stays.
  InterruptGuard guard(client, &cancel, /*delete_vms=*/false);
  int status = kExitPyroError;
  try {
    if (parsed.has("json")) {
      status = call_cancellable(cmd, args, client, cancel);
    } else {
      status = relay(cmd, args, client.exec_workspace(args["workspace"].get<std::string>(),
                                                      args["command"].get<std::string>(),
                                                      live_exec_options(cmd, args, cancel)));
    }
  } catch (...) {
    guard.check();
    throw;
  }
  guard.check();
  return status;
}

// --- structured params from ergonomic flags ----------------------------------

void create_workspace(const Command& cmd, const ParsedArgs& parsed, json& args, GlobalOptions&) {
  json secrets = json::array();
  auto add = [&](const std::string& flag, const std::string& word, const char* field) {
    auto eq = word.find('=');
    if (eq == std::string::npos || eq == 0) {
      // A malformed --secret may be a bare value: never echo it.
      usage(cmd, flag == "secret" ? "parse `--secret`: expected NAME=VALUE"
                                  : fmt::format("parse `--{}`: `{}` is not of the form NAME=PATH", flag, word));
    }
    std::string name = word.substr(0, eq);
    for (const auto& s : secrets) {
      if (s["name"] == name) usage(cmd, fmt::format("secret `{}` given more than once", name));
    }
    secrets.push_back({{"name", name}, {field, word.substr(eq + 1)}});
  };
  for (const auto& w : parsed.values("secret")) add("secret", w, "value");
  for (const auto& w : parsed.values("secret-file")) add("secret-file", w, "file_path");
  if (!secrets.empty()) args["secrets"] = secrets;
}

void update_workspace(const Command& cmd, const ParsedArgs& parsed, json& args, GlobalOptions&) {
  exclusive(cmd, parsed, "label", "clear-labels");
  if (parsed.has("clear-labels")) args["labels"] = json::object();
  if (!args.contains("name") && !args.contains("labels")) {
    usage(cmd, "nothing to change: give `--name`, `--label` or `--clear-labels`");
  }
}

void write_workspace_file(const Command& cmd, const ParsedArgs& parsed, json& args, GlobalOptions&) {
  exclusive(cmd, parsed, "text", "from-file");
  if (const std::string* text = parsed.value("text")) {
    args["text"] = *text;
    return;
  }
  const std::string* file = parsed.value("from-file");
  if (file == nullptr && isatty(STDIN_FILENO) != 0) {
    write_bytes(stderr, "pyro: reading the new content from stdin; end it with Ctrl-D\n");
  }
  args["text"] = read_host_input(file != nullptr ? *file : "-", "content");
}

void reset_workspace(const Command& cmd, const ParsedArgs&, json& args, GlobalOptions&) {
  if (args.contains("snapshot") && args["snapshot"] == "") usage(cmd, "`--snapshot` needs a snapshot name");
}

void diff_workspace(const Command& cmd, const ParsedArgs& parsed, json&, GlobalOptions&) {
  exclusive(cmd, parsed, "stat", "json");
}

json port(const Command& cmd, std::string_view flag, const std::string& value) {
  return parse_integer(cmd.spec, flag, value, 1, 65535);
}

void start_service(const Command& cmd, const ParsedArgs& parsed, json& args, GlobalOptions&) {
  json readiness = json::object();
  for (const char* type : {"http", "tcp", "file", "command"}) {
    const std::string flag = fmt::format("ready-{}", type);
    const std::string* v = parsed.value(flag);
    if (v == nullptr) continue;
    if (!readiness.empty()) usage(cmd, "give at most one of `--ready-http`, `--ready-tcp`, `--ready-file`, `--ready-command`");
    const std::string_view field = type == std::string_view("http") ? "url" : type == std::string_view("tcp") ? "port" : type == std::string_view("file") ? "path" : "command";
    readiness = {{"type", type}, {field, field == "port" ? port(cmd, flag, *v) : json(*v)}};
  }
  bool tuned = parsed.has("ready-timeout") || parsed.has("ready-interval-ms");
  if (tuned && readiness.empty()) usage(cmd, "`--ready-timeout` and `--ready-interval-ms` need a `--ready-*` check");
  if (const std::string* v = parsed.value("ready-timeout")) {
    readiness["timeout_seconds"] = parse_number(cmd.spec, "ready-timeout", *v, 0, 600);
  }
  if (const std::string* v = parsed.value("ready-interval-ms")) {
    readiness["interval_ms"] = parse_integer(cmd.spec, "ready-interval-ms", *v, 10, 60000);
  }
  if (!readiness.empty()) args["readiness"] = readiness;
  json ports = json::array();
  for (const auto& v : parsed.values("publish")) ports.push_back(port(cmd, "publish", v));
  if (!ports.empty()) args["published_ports"] = ports;
}

void write_shell(const Command&, const ParsedArgs& parsed, json& args, GlobalOptions&) {
  if (args["input"] == "-") {
    args["input"] = read_host_input("-", "shell input");
  } else if (!parsed.has("no-newline")) {
    args["input"] = args["input"].get<std::string>() + "\n";
  }
}

void logs_service(const Command& cmd, const ParsedArgs& parsed, json& args, GlobalOptions&) {
  exclusive(cmd, parsed, "cursor", "tail");
  if (parsed.has("follow") && !args.contains("wait_seconds")) args["wait_seconds"] = 5;
}

// --follow: read on from each next cursor until the service has ended and its output is drained.
int follow_logs(const Command& cmd, const ParsedArgs& parsed, json& args, const GlobalOptions& global) {
  pyro::Pyro client(global.client);
  if (!parsed.has("follow")) return call_and_print(cmd, parsed, args, client);
  for (bool first = true;; first = false) {
    std::string text = client.call(cmd.op, arguments_text(args));
    json logs = json::parse(text);
    const std::string state = logs["service"].value("state", "");
    bool done = !logs.value("more", false) && state != "starting" && state != "running";
    if (!parsed.has("json")) {
      relay_chunk(logs, done);
    } else if (first || done || !logs.value("output", "").empty()) {  // no empty lines in between
      write_bytes(stdout, text + "\n");
    }
    if (done) return kExitOk;
    args["cursor"] = logs["next_cursor"];
  }
}

void auto_pull(const Command&, const ParsedArgs& parsed, json&, GlobalOptions& global) {
  if (parsed.has("pull")) global.client.auto_pull = true;
}

const std::vector<Adapter>& adapters() {
  static const std::vector<Adapter> all = {
      {"run_in_vm", {{"pull", 0, "", "pull ENVIRONMENT first when it is a catalog environment not yet installed"}}, {},
       auto_pull, run_in_vm},
      {"exec_workspace", {}, {}, nullptr, exec_workspace},
      {"create_workspace",
       {{"secret-file", 0, "NAME=PATH", "add secret NAME whose value is host file PATH (repeatable)", true},
        {"secret", 0, "NAME=VALUE", "add secret NAME with VALUE; visible in `ps`, prefer --secret-file", true}},
       {"secrets"}, create_workspace},
      {"update_workspace", {{"clear-labels", 0, "", "remove every label"}}, {}, update_workspace},
      {"write_workspace_file",
       {{"text", 0, "TEXT", "the new content, as given"},
        {"from-file", 0, "FILE", "take the new content from a host file (`-`: stdin; the default)"}},
       {"text"}, write_workspace_file},
      {"reset_workspace", {}, {}, reset_workspace},
      {"diff_workspace", {{"stat", 0, "", "print one `STATUS PATH` line per change and the counts"}}, {}, diff_workspace},
      {"start_service",
       {{"publish", 0, "GUEST_PORT", "forward 127.0.0.1:<free port> to this guest TCP port (repeatable)", true},
        {"ready-http", 0, "URL", "ready when GET URL (http://127.0.0.1:PORT/...) returns 2xx"},
        {"ready-tcp", 0, "PORT", "ready when 127.0.0.1:PORT accepts a connection"},
        {"ready-file", 0, "PATH", "ready when PATH exists (relative to the service's cwd)"},
        {"ready-command", 0, "CMD", "ready when `sh -c CMD` exits 0"},
        {"ready-timeout", 0, "SECONDS", "give up (and stop the service) after this, 0-600 (default 30)"},
        {"ready-interval-ms", 0, "MS", "time between readiness checks, 10-60000 (default 200)"}},
       {"readiness", "published_ports"}, start_service},
      {"logs_service", {{"follow", 'f', "", "keep reading until the service ends or Ctrl-C"}}, {}, logs_service,
       follow_logs},
      {"write_shell", {{"no-newline", 'n', "", "do not append a newline to INPUT"}}, {}, write_shell},
  };
  return all;
}

}  // namespace

const Adapter* find_adapter(std::string_view op) {
  for (const auto& a : adapters()) {
    if (a.op == op) return &a;
  }
  return nullptr;
}

int call_and_print(const Command& cmd, const ParsedArgs& parsed, const json& args, pyro::Pyro& client) {
  pyro::CallOptions options;
  ProgressPrinter progress = ProgressPrinter::for_stderr();
  options.progress = progress.handler();
  std::string text = client.call(cmd.op, arguments_text(args), options);
  progress.finish();
  json result = json::parse(text);
  if (parsed.has("json")) {
    write_bytes(stdout, text + "\n");
  } else {
    render(cmd, parsed, args, result);
  }
  return exit_status(cmd, result);
}

}  // namespace pyro_cli

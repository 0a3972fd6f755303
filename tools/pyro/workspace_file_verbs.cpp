#include "workspace_file_verbs.hpp"

#include "output.hpp"
#include "workspace_common.hpp"

namespace pyro_cli {

int run_file_list_verb(const CommandSpec& spec, const GlobalOptions& global, Args args,
                       ListFilesCall list) {
  ParsedArgs parsed = parse_verb_args(spec, args, {"workspace: give its id or name"}, 1);
  if (parsed.help) return kExitOk;
  std::string path = parsed.positionals.size() > 1 ? parsed.positionals[1] : "";
  pyro::Pyro client(global.client);
  auto entries = (client.*list)(parsed.positionals[0], path, parsed.has("recursive"));
  print_json_or_text(parsed, json_array_of(entries), format_file_table(entries));
  return kExitOk;
}

int run_file_read_verb(const CommandSpec& spec, const GlobalOptions& global, Args args,
                       ReadFileCall read) {
  ParsedArgs parsed =
      parse_verb_args(spec, args, {"workspace: give its id or name", "path of the file to read"});
  if (parsed.help) return kExitOk;
  uint64_t max_bytes = 65536;
  if (auto* v = parsed.value("max-bytes")) max_bytes = parse_u64(spec, "max-bytes", *v);
  pyro::Pyro client(global.client);
  pyro::WorkspaceFileContent content =
      (client.*read)(parsed.positionals[0], parsed.positionals[1], max_bytes);
  if (parsed.has("json")) {
    print_json_line(json_of(content));
  } else {
    relay_file_content(content);
  }
  return kExitOk;
}

}  // namespace pyro_cli

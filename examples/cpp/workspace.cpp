// A workspace from C++: seed it from a directory, build something in it, edit a
// file without shell quoting, look at the diff, then delete it.
//
//   ./example_cpp_workspace [ENVIRONMENT]   (default: busybox)
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "pyro/pyro.hpp"

int main(int argc, char** argv) {
  const std::string environment = argc > 1 ? argv[1] : "busybox";
  namespace fs = std::filesystem;
  const fs::path seed = fs::temp_directory_path() / "pyro-example-seed";
  fs::create_directories(seed);
  std::ofstream(seed / "hello.sh") << "echo hello from the seed\n";
  try {
    pyro::Pyro client;
    pyro::WorkspaceInfo ws = client.create_workspace(environment, {.seed_path = seed.string()});
    std::printf("workspace %s started (%s, %llu ms)\n", ws.workspace_id.c_str(), ws.start_mode.c_str(),
                static_cast<unsigned long long>(ws.boot_ms));
    pyro::ExecResult r = client.exec_workspace(ws.workspace_id, "sh hello.sh > out.txt; cat out.txt");
    std::printf("exec: exit %d, stdout: %s", r.exit_code, r.stdout_data.c_str());
    client.write_workspace_file(ws.workspace_id, "hello.sh", "echo hello, edited\n");
    pyro::WorkspaceDiff diff = client.diff_workspace(ws.workspace_id);
    std::printf("diff: %u added, %u modified, %u deleted\n%s", diff.added, diff.modified, diff.deleted,
                diff.unified.c_str());
    client.delete_workspace(ws.workspace_id);
  } catch (const pyro::Error& e) {
    std::fprintf(stderr, "error: %s [%s]\n", e.what(), pyro::error_code_name(e.code()));
    fs::remove_all(seed);
    return 1;
  }
  fs::remove_all(seed);
  return 0;
}

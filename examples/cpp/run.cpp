// One command in a fresh microVM from C++.
//
//   ./example_cpp_run [ENVIRONMENT] [COMMAND]   (default: busybox, `uname -a`)
#include <cstdio>

#include "pyro/pyro.hpp"

int main(int argc, char** argv) {
  const std::string environment = argc > 1 ? argv[1] : "busybox";
  const std::string command = argc > 2 ? argv[2] : "uname -a";
  try {
    pyro::Pyro client;
    pyro::ExecResult r = client.run_in_vm(environment, command, {}, {.timeout_seconds = 30});
    std::fwrite(r.stdout_data.data(), 1, r.stdout_data.size(), stdout);
    std::fwrite(r.stderr_data.data(), 1, r.stderr_data.size(), stderr);
    return r.exit_code;
  } catch (const pyro::Error& e) {
    std::fprintf(stderr, "error: %s [%s]\n", e.what(), pyro::error_code_name(e.code()));
    return 125;
  }
}

// Links libpyro from an installed prefix, checks that the library loaded is the one
// the headers describe, and makes one call that needs no VM. Prints
// "pyro <version> <environments>"; exit 1 on any failure.
#include <cstdio>
#include <cstring>

#include <pyro/pyro.hpp>

int main() {
  if (std::strcmp(pyro::version(), PYRO_VERSION_STRING) != 0) {
    std::fprintf(stderr, "consumer_cpp: headers %s, library %s\n", PYRO_VERSION_STRING, pyro::version());
    return 1;
  }
  try {
    pyro::Pyro client;
    std::printf("pyro %s %zu\n", pyro::version(), client.list_environments().size());
    return 0;
  } catch (const pyro::Error& e) {
    std::fprintf(stderr, "consumer_cpp: %s\n", e.what());
    return 1;
  }
}

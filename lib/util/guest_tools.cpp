#include "util/guest_tools.hpp"

#include <dlfcn.h>
#include <link.h>

#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "pyro/error.hpp"

namespace pyro::detail {
namespace fs = std::filesystem;
namespace {

bool complete(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "pyro-agent", ec) &&
         fs::is_regular_file(dir / "scripts" / "build-bootset.sh", ec) &&
         fs::is_regular_file(dir / "initramfs" / "init", ec);
}

// The directory of the shared object (or executable) this code is linked into.
fs::path own_image_dir() {
  Dl_info info{};
  link_map* object = nullptr;
  if (::dladdr1(reinterpret_cast<void*>(&find_guest_tools), &info, reinterpret_cast<void**>(&object),
                RTLD_DL_LINKMAP) == 0) {
    return {};
  }
  // The main program's link map has no name, and dladdr's dli_fname for it is argv[0]
  // (what the caller chose), so libpyro linked into an executable asks the kernel.
  const bool main_program = object == nullptr || object->l_name == nullptr || *object->l_name == '\0';
  std::error_code ec;
  auto path = fs::canonical(main_program ? "/proc/self/exe" : object->l_name, ec);
  return ec ? fs::path() : path.parent_path();
}

}  // namespace

GuestTools find_guest_tools(const std::string& configured) {
  std::vector<fs::path> candidates;
  if (!configured.empty()) {
    candidates.push_back(configured);
  } else {
    if (const char* env = std::getenv("PYRO_GUEST_DIR"); env && *env) candidates.push_back(env);
    if (auto here = own_image_dir(); !here.empty()) {
      // Installed: libpyro.so in <libdir>, or libpyro linked into an executable in
      // <bindir>; in the Python wheel, into pyro/_core*.so and pyro/pyro-cli.
      candidates.push_back(here / PYRO_GUEST_DIR_FROM_LIBDIR);
      if (std::string_view(PYRO_GUEST_DIR_FROM_BINDIR) != PYRO_GUEST_DIR_FROM_LIBDIR) {
        candidates.push_back(here / PYRO_GUEST_DIR_FROM_BINDIR);
      }
      candidates.push_back(here / "guest");
    }
#ifdef PYRO_BUILD_GUEST_DIR
    candidates.push_back(PYRO_BUILD_GUEST_DIR);
#endif
  }
  std::string tried;
  for (const auto& dir : candidates) {
    if (complete(dir)) {
      fs::path d = dir.lexically_normal();
      std::error_code ec;
      const fs::path jailer = d / "pyro-jailer";
      return GuestTools{d.string(), (d / "pyro-agent").string(),
                        (d / "scripts" / "build-bootset.sh").string(),
                        (d / "scripts" / "build-rootfs.sh").string(),
                        fs::is_regular_file(jailer, ec) ? jailer.string() : std::string()};
    }
    tried += (tried.empty() ? "`" : ", `") + dir.lexically_normal().string() + "`";
  }
  if (tried.empty()) tried = "no place (the library could not locate itself)";
  throw Error(ErrorCode::kUnavailable,
              fmt::format("find the guest tools (pyro-agent, scripts/, initramfs/): none in {}; "
                          "set PYRO_GUEST_DIR or ClientOptions::guest_dir", tried));
}

}  // namespace pyro::detail

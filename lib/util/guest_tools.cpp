#include "util/guest_tools.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
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
  if (::dladdr(reinterpret_cast<void*>(&find_guest_tools), &info) == 0 || !info.dli_fname) return {};
  std::error_code ec;
  auto path = fs::canonical(info.dli_fname, ec);
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
      candidates.push_back(here / ".." / "libexec" / "pyro");
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
  throw Error(ErrorCode::kUnavailable,
              fmt::format("find the guest tools (pyro-agent, scripts/, initramfs/): none in {}; "
                          "set PYRO_GUEST_DIR or ClientOptions::guest_dir", tried));
}

}  // namespace pyro::detail

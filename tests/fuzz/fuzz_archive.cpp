// Fuzz target: the one safe archive extractor (lib/env/safe_extract), as workspace
// seeds and sync pushes use it (through materialize_seed) and as image import uses
// it for layers (special files skipped, files replaced by directories). The input is
// an archive; it is extracted into a fresh directory, which is then removed. Properties
// checked beyond "no crash": failures are pyro::Error only, and nothing is ever
// written outside the destination (a sibling directory stays empty and nothing
// else appears next to it, whatever symlinks or hard links the archive holds).
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "pyro/error.hpp"
#include "env/safe_extract.hpp"
#include "workspace/seed.hpp"

namespace {

namespace fs = std::filesystem;

// base/ holds seed.bin, out/ (the destination) and outside/ (must stay empty).
struct Scratch {
  Scratch() {
    std::string templ = (fs::temp_directory_path() / "pyro-fuzz-archive-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) std::abort();
    base = templ;
    fs::create_directory(base / "outside");
  }
  ~Scratch() { remove_tree(base); }

  // Extracted directories may be read-only: make each writable before removing.
  static void remove_tree(const fs::path& dir) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_directory(ec) && !it->is_symlink(ec)) {
        fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
      }
    }
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir, ec);
  }

  fs::path base;
};

Scratch& scratch() {
  static Scratch s;
  return s;
}

void check_nothing_outside(const fs::path& base) {
  for (const auto& entry : fs::directory_iterator(base)) {
    const std::string name = entry.path().filename().string();
    if (name != "seed.bin" && name != "out" && name != "outside") std::abort();
  }
  if (!fs::is_empty(base / "outside")) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path& base = scratch().base;
  const fs::path seed = base / "seed.bin";
  const fs::path out = base / "out";
  {
    std::ofstream file(seed, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!file) std::abort();
  }
  Scratch::remove_tree(out);
  fs::create_directory(out);
  pyro::detail::SeedLimits limits;
  limits.max_bytes = 4u << 20;
  limits.max_entries = 512;
  try {
    (void)pyro::detail::materialize_seed(seed.string(), out.string(), limits);
  } catch (const pyro::Error&) {
  }
  check_nothing_outside(base);
  Scratch::remove_tree(out);
  fs::create_directory(out);
  pyro::detail::SafeExtractOptions layer;
  layer.limits = {.max_bytes = 4u << 20, .max_entries = 512};
  layer.special_files = pyro::detail::SpecialFiles::kSkip;
  layer.replace_files_on_path = true;
  try {
    (void)pyro::detail::safe_extract_memory(data, size, out.string(), layer);
  } catch (const pyro::Error&) {
  }
  check_nothing_outside(base);
  Scratch::remove_tree(out);
  return 0;
}

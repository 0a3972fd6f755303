// Fuzz target: the unified-diff parser and applier (lib/workspace/patch) and the
// diff writer (lib/workspace/text_diff). Input: patch text, a NUL byte, then the
// current content of every file the patch names (none after the NUL: the files
// do not exist). Properties checked beyond "no crash":
//  - malformed patches fail with pyro::Error only, and applying never throws;
//  - the round trip holds: unified_diff(a, b) parsed and applied to a gives b,
//    with a = the content and b = the patch text as a second file version.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "pyro/error.hpp"
#include "workspace/patch.hpp"
#include "workspace/text_diff.hpp"

namespace {

using namespace pyro::detail;

void apply_patch_text(std::string_view text, const std::optional<std::string>& original) {
  ParsedPatch patch;
  try {
    patch = parse_unified_patch(text);
  } catch (const pyro::Error&) {
    return;
  }
  try {
    check_patch_paths(patch);
  } catch (const pyro::Error&) {
  }
  for (const FilePatch& fp : patch.files) (void)apply_file_patch(fp, original);
}

void check_round_trip(const std::string& a, const std::string& b) {
  const std::string diff = unified_diff(a, b, "a/f", "b/f");
  if (diff.empty()) {
    if (a != b) std::abort();
    return;
  }
  ParsedPatch patch = parse_unified_patch(diff);  // must parse: throwing is a finding
  if (patch.files.size() != 1) std::abort();
  FileApplyResult r = apply_file_patch(patch.files[0], a);
  if (!r.ok || !r.content || *r.content != b) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string_view text = input.substr(0, nul);
  std::optional<std::string> original;
  if (nul != std::string_view::npos) original = std::string(input.substr(nul + 1));

  apply_patch_text(text, original);
  check_round_trip(original.value_or(""), std::string(text));
  (void)looks_binary(input);
  return 0;
}

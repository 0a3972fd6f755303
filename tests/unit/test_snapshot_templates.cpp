// Snapshot template files: keys, atomic creation, removal, prune candidates.
#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "../wait_until.hpp"
#include "pyro/error.hpp"
#include <fmt/format.h>

#include "runtime/host_cpu.hpp"
#include "runtime/snapshot_templates.hpp"
#include "test_support.hpp"
#include "util/sha256.hpp"

namespace pyro::detail {
namespace {
namespace fs = std::filesystem;
using protocol::sha256_hex;

struct TempHome : test::TestDir {
  TempHome() : test::TestDir("pyro-tpl-test") {}
};

TemplateIdentity sample_identity() {
  return {"7.2.22", "busybox", std::string(64, 'a'), "tcg", 1, 256, false};
}

void fake_build(const std::string& dir) {
  std::ofstream(dir + "/ram") << "ram";
  std::ofstream(dir + "/state") << "state";
}

}  // namespace

TEST_CASE("template keys change with every input but the name") {
  const std::string base = template_key(sample_identity());
  CHECK(base.size() == 64);
  auto with = [](auto change) {
    TemplateIdentity id = sample_identity();
    change(id);
    return template_key(id);
  };
  CHECK(with([](auto& id) { id.environment = "other"; }) == base);
  CHECK(with([](auto& id) { id.qemu_version = "8.0.0"; }) != base);
  CHECK(with([](auto& id) { id.environment_sha256 = std::string(64, 'b'); }) != base);
  CHECK(with([](auto& id) { id.accelerator = "kvm"; }) != base);
  CHECK(with([](auto& id) { id.vcpu_count = 2; }) != base);
  CHECK(with([](auto& id) { id.mem_mib = 512; }) != base);
  CHECK(with([](auto& id) { id.network = true; }) != base);
  CHECK(with([](auto& id) { id.cpu = std::string(64, 'c'); }) != base);
}

TEST_CASE("a KVM template is keyed by the host CPU; TCG keys do not change") {
  // A guest booted with `-cpu host` patched itself for the host's features: its
  // snapshot must not be restored on another CPU (tests/nested_kvm checks the field).
  constexpr const char* kCpu0 = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 1\n"
                                "model name\t: AMD EPYC\nstepping\t: 1\nmicrocode\t: 0xa0011d1\n"
                                "cpu MHz\t\t: 2445.404\nflags\t\t: fpu sse2 svm avx2\n\n"
                                "processor\t: 1\nflags\t\t: fpu\n";
  const std::string sig = cpu_signature(kCpu0);
  CHECK(sig.size() == 64);
  // The clock rate and model name are not features; the second processor is not read.
  std::string other_rate = kCpu0;
  other_rate.replace(other_rate.find("2445.404"), 8, "3000.000");
  CHECK(cpu_signature(other_rate) == sig);
  std::string fewer_flags = kCpu0;
  fewer_flags.replace(fewer_flags.find(" avx2"), 5, "");
  CHECK(cpu_signature(fewer_flags) != sig);
  std::string other_microcode = kCpu0;
  other_microcode.replace(other_microcode.find("0xa0011d1"), 9, "0xa0011d5");
  CHECK(cpu_signature(other_microcode) != sig);
  CHECK(cpu_signature("") == "");
  CHECK(template_cpu_signature(Accelerator::kTcg) == "");
  // A TCG identity (no cpu) hashes the same text as before the field existed.
  CHECK(template_key(sample_identity()) ==
        sha256_hex(fmt::format("pyro-template\nformat={}\nqemu=7.2.22\nenvironment_sha256={}\naccelerator=tcg\n"
                               "vcpu_count=1\nmem_mib=256\nnetwork=0\n",
                               kTemplateFormat, std::string(64, 'a'))));
}

TEST_CASE("ensure creates a template once, atomically") {
  TempHome home;
  TemplateStore store(home.path().string());
  int builds = 0;
  auto t = store.ensure(sample_identity(), deadline_after(std::chrono::seconds(5)), [&](const std::string& dir) {
    ++builds;
    CHECK(fs::path(dir).filename().string().find(".tmp") != std::string::npos);
    fake_build(dir);
  });
  CHECK(builds == 1);
  CHECK(t.dir == (home.path() / "templates" / template_key(sample_identity())).string());
  CHECK(fs::is_regular_file(t.ram_path));
  CHECK(fs::is_regular_file(t.state_path));
  CHECK(t.id.size() == 16);
  auto again = store.ensure(sample_identity(), deadline_after(std::chrono::seconds(5)),
                            [&](const std::string&) { ++builds; });
  CHECK(builds == 1);
  CHECK(again.id == t.id);
  CHECK(template_ready(home.path().string(), std::string(64, 'a'), 1, 256, false));
  CHECK_FALSE(template_ready(home.path().string(), std::string(64, 'a'), 2, 256, false));
}

TEST_CASE("a failed build leaves nothing behind") {
  TempHome home;
  TemplateStore store(home.path().string());
  CHECK_THROWS_AS(store.ensure(sample_identity(), deadline_after(std::chrono::seconds(5)),
                               [](const std::string&) { throw Error(ErrorCode::kVmCrashed, "boom"); }),
                  Error);
  CHECK_FALSE(store.find(template_key(sample_identity())));
  CHECK_FALSE(fs::exists(home.path() / "templates" / (template_key(sample_identity()) + ".tmp")));
}

TEST_CASE("concurrent creators wait for the first") {
  TempHome home;
  std::atomic<int> builds{0};
  std::atomic<int> entered{0};
  auto create = [&] {
    TemplateStore store(home.path().string());
    ++entered;
    store.ensure(sample_identity(), deadline_after(std::chrono::seconds(60)), [&](const std::string& dir) {
      ++builds;
      // Build only once both creators are in ensure(): the second must wait for this build.
      pyro::test::poll_until([&] { return entered == 2; }, std::chrono::seconds(30));
      fake_build(dir);
    });
  };
  std::thread a(create), b(create);
  a.join();
  b.join();
  CHECK(builds == 1);
}

TEST_CASE("remove spares a replacement") {
  TempHome home;
  TemplateStore store(home.path().string());
  auto first = store.ensure(sample_identity(), deadline_after(std::chrono::seconds(5)), fake_build);
  store.remove(first);
  CHECK_FALSE(store.find(first.key));
  auto second = store.ensure(sample_identity(), deadline_after(std::chrono::seconds(5)), fake_build);
  store.remove(first);  // stale handle: the new template stays
  CHECK(store.find(second.key));
}

TEST_CASE("stale templates: other environments, other qemu, leftovers") {
  TempHome home;
  TemplateStore store(home.path().string());
  auto live = store.ensure(sample_identity(), deadline_after(std::chrono::seconds(5)), fake_build);
  TemplateIdentity other = sample_identity();
  other.environment_sha256 = std::string(64, 'b');
  auto orphan = store.ensure(other, deadline_after(std::chrono::seconds(5)), fake_build);
  fs::create_directory(home.path() / "templates" / "deadbeef.tmp");
  const std::string live_sha(64, 'a');

  auto stale = stale_templates(home.path().string(), {live_sha}, "7.2.22");
  auto has = [&](const std::string& p) { return std::find(stale.begin(), stale.end(), p) != stale.end(); };
  CHECK(has(orphan.dir));
  CHECK_FALSE(has(live.dir));
  CHECK(has((home.path() / "templates" / "deadbeef.tmp").string()));

  stale = stale_templates(home.path().string(), {live_sha, std::string(64, 'b')}, "8.0.0");
  CHECK(has(live.dir));
  CHECK(has(orphan.dir));
  CHECK(stale_templates((home.path() / "missing").string(), {}, "").empty());
}

TEST_CASE("restore params for a clone") {
  auto p = clone_restore_params("vm-0123456789ab");
  CHECK(p["hostname"] == "pyro-456789ab");
  CHECK(p["machine_id"].get<std::string>().size() == 32);
  CHECK(p["seed"].get<std::string>().size() == 44);  // 32 bytes in base64
  CHECK(p["realtime_ns"].get<int64_t>() > 1'700'000'000'000'000'000);
  CHECK(clone_restore_params("vm-0123456789ab")["seed"] != p["seed"]);
}

}  // namespace pyro::detail

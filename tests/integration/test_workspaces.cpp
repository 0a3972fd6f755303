// Workspaces through the C++ API on real VMs: one agent session from seed to
// delete, and a VMM killed under a running workspace.
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include "../wait_until.hpp"
#include "pyro/pyro.hpp"
#include "workspace_test_support.hpp"

namespace fs = std::filesystem;

namespace {

using pyro_test::client;
using pyro_test::code_of;
using pyro_test::slurp;
using pyro_test::TempDir;
using pyro_test::WorkspaceGuard;

}  // namespace

TEST_CASE("a workspace session: seed, exec, files, patch, diff, export, snapshot, reset, stop, disk, start") {
  TempDir seed;
  fs::create_directories(seed.path / "src");
  std::ofstream(seed.path / "README.md") << "# demo\n";
  std::ofstream(seed.path / "src" / "main.c") << "int main(void) {\n  return 0;\n}\n";
  std::ofstream(seed.path / "old.txt") << "to be deleted\n";

  auto ws = client().create_workspace("busybox", {.seed_path = seed.path.string(), .name = "cpp-session"});
  WorkspaceGuard guard{ws.workspace_id};
  CHECK(ws.state == pyro::WorkspaceState::kRunning);
  CHECK(ws.name == "cpp-session");
  CHECK(client().status_workspace("cpp-session").workspace_id == ws.workspace_id);

  // State persists between execs; the default cwd is /workspace.
  auto r = client().exec_workspace(ws.workspace_id, "pwd; cat README.md; echo 1 > counter");
  CHECK(r.exit_code == 0);
  CHECK(r.stdout_data == "/workspace\n# demo\n");
  CHECK(client().exec_workspace(ws.workspace_id, "cat counter").stdout_data == "1\n");

  // Files.
  client().write_workspace_file(ws.workspace_id, "notes/todo.txt", "write tests\n");
  auto content = client().read_workspace_file(ws.workspace_id, "/workspace/notes/todo.txt");
  CHECK(content.content == "write tests\n");
  CHECK_FALSE(content.truncated);
  auto listing = client().list_workspace_files(ws.workspace_id, "", true);
  bool saw_todo = false;
  for (const auto& e : listing) saw_todo |= e.path == "notes/todo.txt" && e.type == "file";
  CHECK(saw_todo);

  // A patch touching three files applies as a whole.
  const std::string patch =
      "--- a/src/main.c\n+++ b/src/main.c\n@@ -1,3 +1,3 @@\n int main(void) {\n-  return 0;\n+  return 42;\n }\n"
      "--- /dev/null\n+++ b/src/util.h\n@@ -0,0 +1 @@\n+#define UTIL 1\n"
      "--- a/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-to be deleted\n";
  auto applied = client().apply_workspace_patch(ws.workspace_id, patch);
  CHECK(applied.applied);
  CHECK(applied.files.size() == 3);
  CHECK(client().read_workspace_file(ws.workspace_id, "src/util.h").content == "#define UTIL 1\n");

  // A conflicting patch changes nothing and says which hunk failed.
  const std::string conflict =
      "--- a/src/main.c\n+++ b/src/main.c\n@@ -1,3 +1,3 @@\n int main(void) {\n-  return 7;\n+  return 8;\n }\n"
      "--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-# demo\n+# changed\n";
  auto refused = client().apply_workspace_patch(ws.workspace_id, conflict);
  CHECK_FALSE(refused.applied);
  REQUIRE(refused.files.size() == 2);
  CHECK_FALSE(refused.files[0].ok);
  CHECK_FALSE(refused.files[0].hunks.at(0).applied);
  CHECK(client().read_workspace_file(ws.workspace_id, "README.md").content == "# demo\n");

  // Diff against the seed.
  auto diff = client().diff_workspace(ws.workspace_id);
  CHECK(diff.added >= 3);  // counter, notes/, notes/todo.txt, src/util.h
  CHECK(diff.modified == 1);
  CHECK(diff.deleted == 1);
  CHECK(diff.unified.find("+  return 42;") != std::string::npos);

  // Export a directory and a file.
  TempDir out;
  auto exported = client().export_workspace(ws.workspace_id, "src", (out.path / "src").string());
  CHECK(exported.files == 2);
  CHECK(slurp(out.path / "src" / "util.h") == "#define UTIL 1\n");
  CHECK(code_of([&] { client().export_workspace(ws.workspace_id, "src", (out.path / "src").string()); }) ==
        pyro::ErrorCode::kAlreadyExists);

  // Snapshot, edit, reset to the snapshot, then to the baseline.
  client().create_snapshot(ws.workspace_id, "patched");
  client().write_workspace_file(ws.workspace_id, "README.md", "# after snapshot\n");
  CHECK(client().list_snapshots(ws.workspace_id).size() == 1);
  client().reset_workspace(ws.workspace_id, "patched");
  CHECK(client().read_workspace_file(ws.workspace_id, "README.md").content == "# demo\n");
  CHECK(client().read_workspace_file(ws.workspace_id, "src/util.h").content == "#define UTIL 1\n");
  client().reset_workspace(ws.workspace_id);
  CHECK(code_of([&] { client().read_workspace_file(ws.workspace_id, "src/util.h"); }) == pyro::ErrorCode::kNotFound);
  CHECK(client().read_workspace_file(ws.workspace_id, "old.txt").content == "to be deleted\n");

  // Stopped: the disk is readable offline; start again keeps /workspace.
  client().write_workspace_file(ws.workspace_id, "kept.txt", "survives a stop\n");
  auto stopped = client().stop_workspace(ws.workspace_id);
  CHECK(stopped.state == pyro::WorkspaceState::kStopped);
  CHECK(code_of([&] { client().exec_workspace(ws.workspace_id, "true"); }) == pyro::ErrorCode::kFailedPrecondition);
  CHECK(client().read_workspace_disk(ws.workspace_id, "kept.txt").content == "survives a stop\n");
  auto disk_listing = client().list_workspace_disk(ws.workspace_id);
  bool saw_kept = false;
  for (const auto& e : disk_listing) saw_kept |= e.path == "kept.txt";
  CHECK(saw_kept);
  auto offline = client().diff_workspace(ws.workspace_id);  // read from the disk image
  CHECK(offline.added == 1);
  CHECK(offline.modified == 0);
  CHECK(offline.deleted == 0);
  CHECK(offline.unified.find("+survives a stop") != std::string::npos);
  auto image = client().export_workspace_disk(ws.workspace_id, (out.path / "disk.ext4").string());
  std::string magic = slurp(image.output_path).substr(1080, 2);
  CHECK(magic == std::string("\x53\xef", 2));
  client().start_workspace(ws.workspace_id);
  CHECK(client().exec_workspace(ws.workspace_id, "cat kept.txt").stdout_data == "survives a stop\n");
}

TEST_CASE("workspace paths cannot leave /workspace") {
  auto ws = client().create_workspace("busybox");
  WorkspaceGuard guard{ws.workspace_id};
  client().exec_workspace(ws.workspace_id, "ln -s / escape; ln -s ../.. up");
  for (const char* path : {"../x", "/etc/passwd", "a/../../x", "escape/etc/passwd", "up/etc/passwd"}) {
    CAPTURE(path);
    CHECK(code_of([&] { client().read_workspace_file(ws.workspace_id, path); }) == pyro::ErrorCode::kInvalidArgument);
    CHECK(code_of([&] { client().write_workspace_file(ws.workspace_id, path, "x"); }) ==
          pyro::ErrorCode::kInvalidArgument);
  }
  CHECK(client().exec_workspace(ws.workspace_id, "test -e /x || echo absent").stdout_data == "absent\n");
}

TEST_CASE("a workspace whose VMM is killed reports a crash and starts again") {
  auto ws = client().create_workspace("busybox");
  WorkspaceGuard guard{ws.workspace_id};
  client().write_workspace_file(ws.workspace_id, "synced.txt", "kept\n");
  REQUIRE(ws.pid > 0);
  ::kill(static_cast<pid_t>(ws.pid), SIGKILL);
  pyro::test::wait_until(
      [&] { return client().status_workspace(ws.workspace_id).state == pyro::WorkspaceState::kCrashed; },
      std::chrono::seconds(60), "the workspace whose VMM was killed to be reported crashed",
      std::chrono::milliseconds(50));
  CHECK(client().status_workspace(ws.workspace_id).state == pyro::WorkspaceState::kCrashed);
  CHECK(code_of([&] { client().exec_workspace(ws.workspace_id, "true"); }) == pyro::ErrorCode::kVmCrashed);
  auto started = client().start_workspace(ws.workspace_id);
  CHECK(started.state == pyro::WorkspaceState::kRunning);
  CHECK(client().read_workspace_file(ws.workspace_id, "synced.txt").content == "kept\n");
}

TEST_CASE("workspace argument errors come before anything boots") {
  CHECK(code_of([] { client().create_workspace("busybox", {.name = "bad name"}); }) ==
        pyro::ErrorCode::kInvalidArgument);
  CHECK(code_of([] { client().create_workspace("busybox", {.disk_mib = 1}); }) == pyro::ErrorCode::kInvalidArgument);
  CHECK(code_of([] { client().create_workspace("no-such-env"); }) == pyro::ErrorCode::kNotFound);
  CHECK(code_of([] { client().create_workspace("busybox", {.seed_path = "/no/such/seed"}); }) ==
        pyro::ErrorCode::kNotFound);
  CHECK(code_of([] { client().status_workspace("ws-000000000000"); }) == pyro::ErrorCode::kNotFound);
  CHECK(code_of([] { client().exec_workspace("no-such-workspace", "true"); }) == pyro::ErrorCode::kNotFound);
}

// run_in_vm and the VM lifecycle through the C++ API, on real VMs (TCG here).
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>

#include "../wait_until.hpp"
#include "pyro/pyro.hpp"

namespace {

pyro::Pyro& client() {
  static pyro::Pyro instance;
  return instance;
}

pyro::ErrorCode code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const pyro::Error& e) {
    return e.code();
  }
  return pyro::ErrorCode::kOk;
}

}  // namespace

TEST_CASE("run_in_vm separates stdout, stderr and the exit code") {
  auto r = client().run_in_vm("busybox", "echo out; echo err >&2; exit 3");
  CHECK(r.exit_code == 3);
  CHECK(r.signal == 0);
  CHECK_FALSE(r.timed_out);
  CHECK(r.stdout_data == "out\n");
  CHECK(r.stderr_data == "err\n");
  CHECK_FALSE(r.stdout_truncated);
  CHECK(r.vm_id.rfind("vm-", 0) == 0);
}

TEST_CASE("run_in_vm is binary-safe") {
  auto r = client().run_in_vm("busybox", "printf 'a\\000b\\377c'");
  CHECK(r.exit_code == 0);
  CHECK(r.stdout_data == std::string("a\0b\xff" "c", 5));
}

TEST_CASE("run_in_vm truncates large output and flags it") {
  pyro::ExecOptions exec;
  exec.max_output_bytes = 1000;
  auto r = client().run_in_vm("busybox", "head -c 200000 /dev/zero; echo done >&2", {}, exec);
  CHECK(r.exit_code == 0);
  CHECK(r.stdout_data.size() == 1000);
  CHECK(r.stdout_truncated);
  CHECK(r.stderr_data == "done\n");
  CHECK_FALSE(r.stderr_truncated);
}

TEST_CASE("run_in_vm moves megabytes of output intact") {
  pyro::ExecOptions exec;
  exec.max_output_bytes = 4 << 20;  // seq's 1.29 MB exceeds the 1 MiB default
  auto r = client().run_in_vm("busybox", "seq 1 200000", {}, exec);
  CHECK(r.exit_code == 0);
  CHECK_FALSE(r.stdout_truncated);
  std::string expected;
  for (int i = 1; i <= 200000; ++i) expected += std::to_string(i) + "\n";
  CHECK(r.stdout_data.size() == expected.size());
  CHECK((r.stdout_data == expected));
}

TEST_CASE("run_in_vm kills a command at its timeout and reports it") {
  pyro::ExecOptions exec;
  exec.timeout_seconds = 1;
  auto r = client().run_in_vm("busybox", "echo before; sleep 30; echo after", {}, exec);
  CHECK(r.timed_out);
  CHECK(r.signal == 9);
  CHECK(r.exit_code == 137);
  CHECK(r.stdout_data == "before\n");  // no "after": the kill happened, the command did not run out
}

TEST_CASE("run_in_vm passes env and cwd, and honours vcpu and memory sizes") {
  pyro::ExecOptions exec;
  exec.env = {{"GREETING", "hello there"}};
  exec.cwd = "/proc";
  pyro::VmOptions vm;
  vm.vcpu_count = 2;
  vm.mem_mib = 384;
  auto r = client().run_in_vm("busybox",
                              "echo \"$GREETING\"; pwd; nproc; grep MemTotal /proc/meminfo", vm, exec);
  CHECK(r.exit_code == 0);
  CHECK(r.stdout_data.find("hello there\n/proc\n2\n") == 0);
  auto mem_kib = std::stol(r.stdout_data.substr(r.stdout_data.find("MemTotal:") + 9));
  CHECK(mem_kib > 300 * 1024);
  CHECK(mem_kib <= 384 * 1024);
}

TEST_CASE("run_in_vm with network=false has no NIC, with network=true has eth0") {
  auto off = client().run_in_vm("busybox", "ls /sys/class/net");
  CHECK(off.stdout_data == "lo\n");
  pyro::VmOptions vm;
  vm.network = true;
  auto on = client().run_in_vm("busybox", "ls /sys/class/net; ip -4 addr show eth0", vm);
  CHECK(on.stdout_data.find("eth0") != std::string::npos);
  CHECK(on.stdout_data.find("10.0.2.15") != std::string::npos);
}

TEST_CASE("run_in_vm rejects bad arguments before booting") {
  using pyro::ErrorCode;
  CHECK(code_of([] { client().run_in_vm("no-such-env", "true"); }) == ErrorCode::kNotFound);
  CHECK(code_of([] { client().run_in_vm("", "true"); }) == ErrorCode::kInvalidArgument);
  CHECK(code_of([] { client().run_in_vm("busybox", ""); }) == ErrorCode::kInvalidArgument);
  CHECK(code_of([] { client().run_in_vm("busybox", "true", {.vcpu_count = 0}); }) ==
        ErrorCode::kInvalidArgument);
  CHECK(code_of([] { client().run_in_vm("busybox", "true", {.vcpu_count = 99}); }) ==
        ErrorCode::kInvalidArgument);
  CHECK(code_of([] { client().run_in_vm("busybox", "true", {.mem_mib = 1}); }) ==
        ErrorCode::kInvalidArgument);
  CHECK(code_of([] { client().run_in_vm("busybox", "true", {}, {.timeout_seconds = 0}); }) ==
        ErrorCode::kInvalidArgument);
  CHECK(code_of([] { client().run_in_vm("busybox", "true", {}, {.timeout_seconds = -1}); }) ==
        ErrorCode::kInvalidArgument);
  CHECK(code_of([] { client().run_in_vm("busybox", "true", {}, {.cwd = "relative"}); }) ==
        ErrorCode::kInvalidArgument);
  CHECK(client().list_vms().empty());
}

TEST_CASE("a missing cwd in the guest is not_found, and the VM is still cleaned up") {
  CHECK(code_of([] { client().run_in_vm("busybox", "true", {}, {.cwd = "/nonexistent"}); }) ==
        pyro::ErrorCode::kNotFound);
  CHECK(client().list_vms().empty());
}

TEST_CASE("the explicit lifecycle: create, start, status, list, exec deletes") {
  auto& c = client();
  auto created = c.create_vm("busybox");
  CHECK(created.state == pyro::VmState::kCreated);
  CHECK(c.status_vm(created.vm_id).state == pyro::VmState::kCreated);
  auto started = c.start_vm(created.vm_id);
  CHECK(started.state == pyro::VmState::kRunning);
  CHECK(started.pid > 0);
  CHECK((started.accelerator == "tcg" || started.accelerator == "kvm"));
  CHECK(code_of([&] { c.start_vm(created.vm_id); }) == pyro::ErrorCode::kFailedPrecondition);
  auto listed = c.list_vms();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].vm_id == created.vm_id);
  auto r = c.exec_vm(created.vm_id, "hostname");
  CHECK(r.exit_code == 0);
  CHECK(code_of([&] { c.status_vm(created.vm_id); }) == pyro::ErrorCode::kNotFound);
  CHECK(c.list_vms().empty());
}

TEST_CASE("delete_vm stops a running VM; unknown ids are not_found") {
  auto& c = client();
  auto vm = c.create_vm("busybox");
  c.start_vm(vm.vm_id);
  c.delete_vm(vm.vm_id);
  CHECK(code_of([&] { c.delete_vm(vm.vm_id); }) == pyro::ErrorCode::kNotFound);
  CHECK(code_of([&] { c.exec_vm("vm-000000000000", "true"); }) == pyro::ErrorCode::kNotFound);
  CHECK(code_of([&] { c.start_vm("nope"); }) == pyro::ErrorCode::kNotFound);
}

TEST_CASE("a client's destructor stops the VMs it still owns") {
  std::string id;
  {
    pyro::Pyro scoped;
    id = scoped.create_vm("busybox").vm_id;
    scoped.start_vm(id);
  }
  // The leak check after the suite (tests/check_no_leftovers.sh) proves the VMM is gone.
  CHECK(id.size() == 15);
}

TEST_CASE("delete_vm from another thread cancels an exec in progress") {
  auto& c = client();
  auto vm = c.create_vm("busybox");
  c.start_vm(vm.vm_id);
  pyro::ErrorCode code = pyro::ErrorCode::kOk;
  // The command says on the console that it runs; without cancellation it would
  // print `ran-out` there after 600 s (and the exec would only then return).
  std::thread runner([&] {
    code = code_of([&] {
      c.exec_vm(vm.vm_id, "echo \"exec-reached-the-guest-$((6*7))\" > /dev/console; sleep 600; echo ran-out",
                {.timeout_seconds = 1200});
    });
  });
  const auto console = std::filesystem::path(c.home()) / "run" / vm.vm_id / "console.log";
  const bool reached = pyro::test::poll_until(
      [&] {
        std::ifstream f(console);
        std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        return text.find("exec-reached-the-guest-42") != std::string::npos;
      },
      std::chrono::seconds(120));
  c.delete_vm(vm.vm_id);
  runner.join();
  REQUIRE_MESSAGE(reached, "the exec never reached the guest (no marker in " << console.string() << ")");
  CHECK(code == pyro::ErrorCode::kCancelled);
  CHECK(c.list_vms().empty());
}

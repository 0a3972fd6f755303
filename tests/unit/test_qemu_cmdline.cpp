// The QEMU command line built from a MachineSpec, and the host facts it uses.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "backend/backend.hpp"
#include "backend/qemu/qemu_args.hpp"
#include "backend/qemu/qemu_backend.hpp"
#include "pyro/error.hpp"

namespace pyro::detail {
namespace {

MachineSpec sample_spec() {
  MachineSpec spec;
  spec.vm_id = "vm-1";
  spec.boot = {"/boot/vmlinux", "/boot/initrd.gz"};
  spec.vcpu_count = 2;
  spec.mem_mib = 512;
  spec.run_dir = "/run/pyro/vm-1";
  spec.agent_socket = "/run/pyro/vm-1/agent.sock";
  return spec;
}

const QemuHostInfo kHost{.qemu_binary = "/usr/bin/qemu-system-x86_64", .tsc_khz = 2596000};

// The value following `flag` (first occurrence); "" when absent.
std::string value_of(const std::vector<std::string>& args, const std::string& flag) {
  auto it = std::find(args.begin(), args.end(), flag);
  return it != args.end() && it + 1 != args.end() ? *(it + 1) : std::string();
}

bool has_pair(const std::vector<std::string>& args, const std::string& flag, const std::string& value) {
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == flag && args[i + 1] == value) return true;
  }
  return false;
}

bool contains(const std::vector<std::string>& args, const std::string& item) {
  return std::find(args.begin(), args.end(), item) != args.end();
}

ErrorCode code_of(const MachineSpec& spec, const QemuHostInfo& host = kHost) {
  try {
    build_qemu_args(spec, host);
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::kOk;
}

}  // namespace

TEST_CASE("accelerator names") {
  CHECK(std::string(accelerator_name(Accelerator::kKvm)) == "kvm");
  CHECK(std::string(accelerator_name(Accelerator::kTcg)) == "tcg");
}

TEST_CASE("tcg command line") {
  auto args = build_qemu_args(sample_spec(), kHost);
  CHECK(args.front() == "/usr/bin/qemu-system-x86_64");
  CHECK(value_of(args, "-M") == "microvm,pit=off,pic=on,rtc=on");
  CHECK(value_of(args, "-accel") == "tcg");
  CHECK(value_of(args, "-cpu") == "qemu64,+arat");
  CHECK(value_of(args, "-m") == "512");
  CHECK(value_of(args, "-smp") == "2");
  for (const char* flag : {"-nodefaults", "-no-user-config", "-no-reboot"}) CHECK(contains(args, flag));
  CHECK(value_of(args, "-display") == "none");
  CHECK(value_of(args, "-kernel") == "/boot/vmlinux");
  CHECK(value_of(args, "-initrd") == "/boot/initrd.gz");
  CHECK(value_of(args, "-append") ==
        "console=ttyS0 quiet panic=-1 cryptomgr.notests tsc_early_khz=2596000 lpj=10384000 tsc=reliable pyro.net=0");
  CHECK(value_of(args, "-serial") == "chardev:console");
  CHECK(has_pair(args, "-chardev", "pipe,id=console,path=/run/pyro/vm-1/console"));
  CHECK(value_of(args, "-qmp") == "unix:/run/pyro/vm-1/qmp.sock,server=on,wait=off");
  CHECK(has_pair(args, "-chardev", "socket,id=agent,path=/run/pyro/vm-1/agent.sock"));
  CHECK(has_pair(args, "-device", "virtio-serial-device"));
  CHECK(has_pair(args, "-device", "virtserialport,chardev=agent,name=pyro.agent"));
  CHECK_FALSE(contains(args, "-netdev"));
}

TEST_CASE("kvm command line has a host cpu and no clock hints") {
  auto spec = sample_spec();
  spec.accelerator = Accelerator::kKvm;
  auto args = build_qemu_args(spec, kHost);
  CHECK(value_of(args, "-M") == "microvm");
  CHECK(value_of(args, "-accel") == "kvm");
  CHECK(value_of(args, "-cpu") == "host,-arch-capabilities");
  std::string append = value_of(args, "-append");
  CHECK(append.find("tsc_early_khz") == std::string::npos);
  CHECK(append.find("lpj=") == std::string::npos);
  CHECK(append.find("tsc=reliable") == std::string::npos);
  CHECK(append == "console=ttyS0 quiet panic=-1 cryptomgr.notests pyro.net=0");
}

TEST_CASE("network adds a user-mode nic and tells the guest") {
  auto spec = sample_spec();
  spec.network = true;
  auto args = build_qemu_args(spec, kHost);
  CHECK(value_of(args, "-netdev") == "user,id=n0");
  CHECK(has_pair(args, "-device", "virtio-net-device,netdev=n0"));
  CHECK(value_of(args, "-append").find(" pyro.net=1") != std::string::npos);
}

TEST_CASE("kernel args are appended last") {
  auto spec = sample_spec();
  spec.kernel_args = {"pyro.debug=1", "", "init=/init"};
  std::string append = value_of(build_qemu_args(spec, kHost), "-append");
  CHECK(append.size() > 0);
  CHECK(append.substr(append.size() - std::string(" pyro.debug=1 init=/init").size()) ==
        " pyro.debug=1 init=/init");
}

TEST_CASE("drives become virtio-blk devices in order") {
  auto spec = sample_spec();
  spec.drives = {Drive{"/env/rootfs.img", true, "raw"}, Drive{"/run/pyro/vm-1/scratch.qcow2", false, "qcow2"}};
  auto args = build_qemu_args(spec, kHost);
  CHECK(has_pair(args, "-drive",
                 "file=/env/rootfs.img,format=raw,if=none,id=drive0,readonly=on,cache=unsafe"));
  CHECK(has_pair(args, "-drive",
                 "file=/run/pyro/vm-1/scratch.qcow2,format=qcow2,if=none,id=drive1,readonly=off,cache=unsafe"));
  auto first = std::find(args.begin(), args.end(), "virtio-blk-device,drive=drive0");
  auto second = std::find(args.begin(), args.end(), "virtio-blk-device,drive=drive1");
  REQUIRE(first != args.end());
  REQUIRE(second != args.end());
  CHECK(first < second);  // /dev/vda, then /dev/vdb
  CHECK(*(first - 1) == "-device");
}

TEST_CASE("an overlay names its backing file as raw on the command line") {
  auto spec = sample_spec();
  spec.drives = {Drive{"/run/pyro/vm-1-disk/disk.qcow2", false, "qcow2", false, "/ws/disk.ext4"}};
  auto args = build_qemu_args(spec, kHost);
  // The backing file is never probed for a format: its bytes are a guest's.
  CHECK(has_pair(args, "-drive",
                 "file=/run/pyro/vm-1-disk/disk.qcow2,format=qcow2,if=none,id=drive0,readonly=off,cache=unsafe,"
                 "backing.driver=raw,backing.file.filename=/ws/disk.ext4"));
  spec.drives[0].backing_path = "/ws,x/disk.ext4";
  CHECK(code_of(spec) == ErrorCode::kInvalidArgument);
  spec.drives[0].backing_path = "disk.ext4";
  CHECK(code_of(spec) == ErrorCode::kInvalidArgument);
  spec.drives[0] = Drive{"/disk.img", false, "raw", false, "/ws/disk.ext4"};  // only a qcow2 has a backing file
  CHECK(code_of(spec) == ErrorCode::kInvalidArgument);
}

TEST_CASE("a memory file backs guest RAM, shared or private") {
  auto spec = sample_spec();
  spec.memory_file = MemoryFile{"/cache/templates/k.tmp/ram", true};
  auto args = build_qemu_args(spec, kHost);
  CHECK(value_of(args, "-object") ==
        "memory-backend-file,id=mem,size=512M,mem-path=/cache/templates/k.tmp/ram,share=on");
  CHECK(value_of(args, "-machine") == "memory-backend=mem");
  CHECK(value_of(args, "-M") == "microvm,pit=off,pic=on,rtc=on");  // QEMU merges -M and -machine
  CHECK(value_of(args, "-m") == "512");
  spec.memory_file->shared = false;
  CHECK(value_of(build_qemu_args(spec, kHost), "-object").find(",share=off") != std::string::npos);
  CHECK_FALSE(contains(build_qemu_args(sample_spec(), kHost), "-object"));
  CHECK_FALSE(contains(build_qemu_args(sample_spec(), kHost), "-machine"));
}

TEST_CASE("incoming waits for a deferred migration") {
  auto spec = sample_spec();
  CHECK_FALSE(contains(build_qemu_args(spec, kHost), "-incoming"));
  spec.incoming = true;
  CHECK(value_of(build_qemu_args(spec, kHost), "-incoming") == "defer");
}

// A restore needs the same devices in the same order; only paths may differ.
TEST_CASE("a template and its clone have the same device list") {
  auto device_list = [](const std::vector<std::string>& args) {
    std::vector<std::string> out;
    for (size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == "-device" || args[i] == "-netdev" || args[i] == "-M" || args[i] == "-machine" ||
          args[i] == "-m" || args[i] == "-smp" || args[i] == "-accel") {
        out.push_back(args[i] + " " + args[i + 1]);
      }
    }
    return out;
  };
  for (bool network : {false, true}) {
    auto tmpl = sample_spec();
    tmpl.network = network;
    tmpl.drives = {Drive{"/env/rootfs.img", true, "raw"}};
    tmpl.memory_file = MemoryFile{"/cache/templates/k.tmp/ram", true};
    auto clone = tmpl;
    clone.vm_id = "vm-2";
    clone.run_dir = "/run/pyro/vm-2";
    clone.agent_socket = "/run/pyro/vm-2/agent.sock";
    clone.memory_file = MemoryFile{"/cache/templates/k/ram", false};
    clone.incoming = true;
    CHECK(device_list(build_qemu_args(tmpl, kHost)) == device_list(build_qemu_args(clone, kHost)));
  }
}

TEST_CASE("lpj follows the tsc rate at HZ=250") {
  CHECK(lpj_for_tsc_khz(2596000) == 10384000);
  CHECK(lpj_for_tsc_khz(2445406) == 9781624);
  CHECK(lpj_for_tsc_khz(0) == 0);
}

TEST_CASE("unknown tsc rate leaves the guest to calibrate") {
  QemuHostInfo host = kHost;
  host.tsc_khz = 0;
  CHECK(value_of(build_qemu_args(sample_spec(), host), "-M") == "microvm,pit=on,pic=on,rtc=on");
  CHECK(build_kernel_cmdline(sample_spec(), host) ==
        "console=ttyS0 quiet panic=-1 cryptomgr.notests tsc=reliable pyro.net=0");
}

TEST_CASE("cpu MHz from /proc/cpuinfo") {
  CHECK(parse_cpuinfo_tsc_khz("processor\t: 0\nmodel name\t: X\ncpu MHz\t\t: 2445.406\n"
                              "cpu MHz\t\t: 1000.000\n") == 2445406);
  CHECK(parse_cpuinfo_tsc_khz("cpu MHz\t\t: 2595.9996\n") == 2596000);
  CHECK(parse_cpuinfo_tsc_khz("processor\t: 0\n") == 0);
  CHECK(parse_cpuinfo_tsc_khz("cpu MHz\t\t: garbage\n") == 0);
  CHECK(parse_cpuinfo_tsc_khz("") == 0);
  CHECK_NOTHROW(read_host_tsc_khz());
}

TEST_CASE("impossible specs are rejected") {
  CHECK(code_of(sample_spec()) == ErrorCode::kOk);
  auto spec = sample_spec();
  spec.vcpu_count = 0;
  CHECK(code_of(spec) == ErrorCode::kInvalidArgument);
  spec = sample_spec();
  spec.mem_mib = 0;
  CHECK(code_of(spec) == ErrorCode::kInvalidArgument);
  spec = sample_spec();
  spec.boot.kernel_path.clear();
  CHECK(code_of(spec) == ErrorCode::kInvalidArgument);
  spec = sample_spec();
  spec.boot.initrd_path = "relative/initrd";
  CHECK(code_of(spec) == ErrorCode::kInvalidArgument);
  spec = sample_spec();
  spec.run_dir.clear();
  CHECK(code_of(spec) == ErrorCode::kInvalidArgument);
  spec = sample_spec();
  spec.agent_socket.clear();
  CHECK(code_of(spec) == ErrorCode::kInvalidArgument);
  spec = sample_spec();
  spec.agent_socket = "/run/a,b.sock";
  CHECK(code_of(spec) == ErrorCode::kInvalidArgument);
  spec = sample_spec();
  spec.run_dir = "/" + std::string(200, 'x');
  CHECK(code_of(spec) == ErrorCode::kInvalidArgument);
  CHECK(code_of(sample_spec(), QemuHostInfo{}) == ErrorCode::kInvalidArgument);
  spec = sample_spec();
  spec.drives = {Drive{"disk.img", true, "raw"}};
  CHECK(code_of(spec) == ErrorCode::kInvalidArgument);
  spec.drives = {Drive{"/a,b.img", true, "raw"}};
  CHECK(code_of(spec) == ErrorCode::kInvalidArgument);
  spec.drives = {Drive{"/disk.img", true, "vmdk"}};
  CHECK(code_of(spec) == ErrorCode::kInvalidArgument);
  spec = sample_spec();
  spec.memory_file = MemoryFile{"/t,x/ram", false};
  CHECK(code_of(spec) == ErrorCode::kInvalidArgument);
  spec.memory_file = MemoryFile{"", false};
  CHECK(code_of(spec) == ErrorCode::kInvalidArgument);
}

TEST_CASE("qemu version parsing") {
  CHECK(parse_qemu_version("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\n"
                           "Copyright (c) 2003-2022 Fabrice Bellard and the QEMU Project developers\n") ==
        "7.2.22");
  CHECK(parse_qemu_version("QEMU emulator version 8.1.0\n") == "8.1.0");
  CHECK(parse_qemu_version("something else\n") == "");
}

TEST_CASE("kvm obstacles") {
  CHECK(kvm_obstacle("/nonexistent/kvm", "/nonexistent/pvm").find("does not exist") != std::string::npos);
  // /dev/null stands in for a usable device node.
  CHECK(kvm_obstacle("/dev/null", "/nonexistent/pvm") == "");
  CHECK(kvm_obstacle("/dev/null", "/").find("kvm_pvm") != std::string::npos);
  auto backend = make_qemu_backend("");
  CHECK(backend->name() == "qemu");
  CHECK(backend->accelerator_obstacle(Accelerator::kTcg) == "");
}

TEST_CASE("a missing qemu binary is unavailable") {
  auto backend = make_qemu_backend("/nonexistent/qemu-system-x86_64");
  try {
    backend->version();
    FAIL("version() should throw");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kUnavailable);
  }
  try {
    backend->launch(sample_spec());
    FAIL("launch() should throw");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kUnavailable);
  }
}

}  // namespace pyro::detail

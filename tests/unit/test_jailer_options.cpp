// pyro-jailer's command line (tools/pyro-jailer/jailer_options.hpp): `--dev-owned`,
// the flag that gives a KVM VMM its own /dev/kvm node (docs/jail.md).
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "jailer_options.hpp"

namespace pyro_jailer {

TEST_CASE("--dev-owned makes an owned device entry, and needs a jail root, a uid and a path under /dev") {
  const std::vector<std::string> tail = {"--", "/usr/bin/qemu"};
  auto parse = [&](std::vector<std::string> args) {
    args.insert(args.end(), tail.begin(), tail.end());
    return parse_options(args);
  };
  Options o = parse({"--root", "/r/jail", "--uid", "999", "--gid", "998", "--dev-owned", "/dev/kvm", "--dev", "/dev/null"});
  REQUIRE(o.binds.size() == 2);
  CHECK(o.binds[0].path == "/dev/kvm");
  CHECK(o.binds[0].owned);
  CHECK(o.binds[0].device);
  CHECK(!o.binds[0].writable);
  CHECK(!o.binds[1].owned);
  CHECK(o.binds[1].device);
  CHECK_THROWS_AS(parse({"--root", "/r/jail", "--dev-owned", "/dev/kvm"}), std::invalid_argument);  // no uid
  CHECK_THROWS_AS(parse({"--uid", "1", "--gid", "1", "--dev-owned", "/dev/kvm"}), std::invalid_argument);  // no root
  CHECK_THROWS_AS(parse({"--root", "/r", "--uid", "1", "--gid", "1", "--dev-owned", "/etc/shadow"}), std::invalid_argument);
  CHECK_THROWS_AS(parse({"--root", "/r", "--uid", "1", "--gid", "1", "--dev-owned", "/dev/../etc/shadow"}),
                  std::invalid_argument);
}

}  // namespace pyro_jailer

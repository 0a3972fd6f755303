// connect_unix never follows a symbolic link: a jailed VMM can write the directory its
// QMP and agent sockets live in, and could otherwise point the host at any socket.
#include <doctest/doctest.h>

#include <unistd.h>

#include <string>
#include <system_error>

#include "test_support.hpp"
#include "util/unix_socket.hpp"

namespace pyro::detail {

TEST_CASE("connect_unix reaches a listening socket, and refuses a link to one") {
  pyro::test::TestDir dir("pyro-socket-links");
  const std::string real = dir.str() + "/real.sock";
  const std::string link = dir.str() + "/qmp.sock";
  UniqueFd listener = listen_unix(real);
  REQUIRE(::symlink(real.c_str(), link.c_str()) == 0);

  std::error_code ec;
  UniqueFd direct = connect_unix(real, ec);
  CHECK(direct);
  CHECK(!ec);

  UniqueFd through_link = connect_unix(link, ec);
  CHECK(!through_link);
  CHECK(ec);

  UniqueFd missing = connect_unix(dir.str() + "/none.sock", ec);
  CHECK(!missing);
  CHECK(ec == std::errc::no_such_file_or_directory);  // callers retry on it: not listening yet
}

}  // namespace pyro::detail

#include "sftpd/frontdoor/pump.h"

#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "sftpd/engine/session_testing.h"

namespace sftpd {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void Send(int fd, const Bytes& b) {
  REQUIRE(write(fd, b.data(), b.size()) == ssize_t(b.size()));
}

TEST_CASE("pump: the idle deadline of one read") {
  CHECK(IdleDeadline(0).WaitMillis() == -1);  // no limit
  const int w = IdleDeadline(1).WaitMillis();
  CHECK(w > 0);
  CHECK(w <= 1000);
  CHECK(IdleDeadline(3600).WaitMillis() == 60000);  // waits a minute at most
  const IdleDeadline d(1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1050));
  CHECK(d.WaitMillis() == 0);  // the time is up
}

TEST_CASE("pump: a session that sends nothing for idle_timeout is ended") {
  testing::Harness h(/*init=*/false);
  int fds[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  Send(fds[1], h.Init());
  const Clock::time_point t0 = Clock::now();
  const Result<void> end = PumpSession(h.session(), fds[0], fds[0], 1);
  const double took = SecondsSince(t0);
  REQUIRE_FALSE(end.ok());
  CHECK(end.error() == IdleTimeout(1).message);
  CHECK_THAT(end.error(), Catch::Contains("[server] idle_timeout"));
  CHECK(took >= 0.95);
  CHECK(took < 3.0);
  close(fds[0]);
  close(fds[1]);
}

TEST_CASE("pump: each request starts the idle time again") {
  testing::Harness h(/*init=*/false);
  int fds[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  // A request every 0.5 s for 2 s against a 1 s limit, then the end of
  // input: a clean end, not an idle one.
  std::thread client([&] {
    Send(fds[1], h.Init());
    for (int i = 0; i < 4; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      Send(fds[1], h.Realpath("."));
    }
    shutdown(fds[1], SHUT_WR);
  });
  const Clock::time_point t0 = Clock::now();
  const Result<void> end = PumpSession(h.session(), fds[0], fds[0], 1);
  const double took = SecondsSince(t0);
  client.join();
  CHECK(end.ok());
  CHECK(took >= 1.9);
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
}  // namespace sftpd

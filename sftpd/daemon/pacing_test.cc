#include "sftpd/daemon/pacing.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <limits>

namespace sftpd {
namespace {

TEST_CASE("pacing: the unread limit covers the link and a backlog") {
  CHECK(UnreadLimit(0) == kClientBacklog);
  // Loopback: tens of µs, so about the backlog alone.
  CHECK(UnreadLimit(30) == kClientBacklog + 30 * kLinkBytesPerMicro);
  // From 2 ms of round trip a 2 MiB window is not limited.
  CHECK(UnreadLimit(2000) >= 2u * 1024 * 1024);
  CHECK(UnreadLimit(60000) > 60u * 1000 * 1000);
  CHECK(UnreadLimit(std::numeric_limits<uint32_t>::max()) >
        uint64_t(std::numeric_limits<uint32_t>::max()));
  // Not TCP: only the window limits.
  CHECK(UnreadLimit(std::nullopt) == std::numeric_limits<uint64_t>::max());
}

TEST_CASE("pacing: a channel sends what the window and the limit allow") {
  constexpr uint32_t kWindow = 2 * 1024 * 1024;
  constexpr uint64_t kLimit = 512 * 1024;
  // Nothing unread: up to the limit.
  CHECK(SendAllowance(kWindow, kWindow, kLimit) == kLimit);
  // 400 KiB unread: the rest of the limit.
  CHECK(SendAllowance(kWindow - 400 * 1024, kWindow, kLimit) == 112 * 1024);
  // At or past the limit: nothing until the client reads.
  CHECK(SendAllowance(kWindow - 512 * 1024, kWindow, kLimit) == 0);
  CHECK(SendAllowance(kWindow - 600 * 1024, kWindow, kLimit) == 0);
  // A window smaller than the limit: the window decides.
  CHECK(SendAllowance(64 * 1024, 64 * 1024, kLimit) == 64 * 1024);
  CHECK(SendAllowance(0, 64 * 1024, kLimit) == 0);
  // No limit: the window's room.
  CHECK(SendAllowance(kWindow - 1, kWindow,
                      std::numeric_limits<uint64_t>::max()) == kWindow - 1);
  // A window that was never larger than the room (adjusts raised it).
  CHECK(SendAllowance(kWindow, 1024, kLimit) == kLimit);
}

// A client's side of one channel: a window of `window` bytes, given back
// in steps of `step` once that much was read.
struct FakeClient {
  uint32_t window, step;
  uint32_t room = window;
  uint64_t unread = 0;
  void Receive(uint32_t n) {
    room -= n;
    unread += n;
  }
  void Read() {  // passes on all it holds, adjusting per step
    while (unread >= step) {
      unread -= step;
      room += step;
    }
  }
};

TEST_CASE("pacing: a client that gives window back in small steps is paced") {
  constexpr uint64_t kLimit = 512 * 1024;
  FakeClient client{.window = 2 * 1024 * 1024, .step = 96 * 1024};
  ReplyPacer pacer;
  ReplyPacer::Clock::time_point t{};
  // Before any window comes back: the whole window.
  CHECK(pacer.Allowance(client.room, kLimit, t) == client.room);
  CHECK_FALSE(pacer.paced());
  pacer.Sent(300 * 1024);
  client.Receive(300 * 1024);
  client.Read();  // three steps back, 12 KiB kept
  // 288 KiB came back in steps under the limit: paced from now on.
  uint32_t allowed = pacer.Allowance(client.room, kLimit, t);
  CHECK(pacer.paced());
  CHECK(allowed == kLimit - 12 * 1024);
  // Sending all it allows, the client never holds more than the limit and
  // is never kept waiting.
  for (int i = 0; i < 1000; ++i) {
    allowed = pacer.Allowance(client.room, kLimit, t);
    REQUIRE(allowed > 0);
    const uint32_t n = std::min<uint32_t>(allowed, 64 * 1024);
    pacer.Sent(n);
    client.Receive(n);
    REQUIRE(client.unread <= kLimit);
    if (i % 3 == 0) client.Read();
  }
  CHECK(pacer.paced());
}

TEST_CASE("pacing: a client that gives back half its window is not paced") {
  constexpr uint64_t kLimit = 512 * 1024;
  // libssh's client: a 1.25 MB window, grown back when under half.
  FakeClient client{.window = 1280000, .step = 640000};
  ReplyPacer pacer;
  ReplyPacer::Clock::time_point t{};
  for (int i = 0; i < 100; ++i) {
    const uint32_t allowed = pacer.Allowance(client.room, kLimit, t);
    // Unpaced, it may always fill the window: the client adjusts only then.
    REQUIRE(allowed == client.room);
    const uint32_t n = std::min<uint32_t>(allowed, 64 * 1024);
    pacer.Sent(n);
    client.Receive(n);
    client.Read();
  }
  CHECK_FALSE(pacer.paced());
}

TEST_CASE("pacing: a paced client that waits anyway is not paced again") {
  constexpr uint64_t kLimit = 512 * 1024;
  constexpr uint32_t kWindow = 2 * 1024 * 1024;
  ReplyPacer pacer;
  ReplyPacer::Clock::time_point t{};
  REQUIRE(pacer.Allowance(kWindow, kLimit, t) == kWindow);
  pacer.Sent(64 * 1024);
  // 32 KiB back: paced.
  REQUIRE(pacer.Allowance(kWindow - 32 * 1024, kLimit, t) > 0);
  REQUIRE(pacer.paced());
  pacer.Sent(kLimit - 32 * 1024);
  const uint32_t room = kWindow - uint32_t(kLimit);
  // The limit holds the rest back; no window comes back.
  CHECK(pacer.Allowance(room, kLimit, t) == 0);
  CHECK(pacer.Allowance(room, kLimit, t + ReplyPacer::kHeldMillis / 2) == 0);
  // After kHeldMillis of waiting: the whole window, for good.
  CHECK(pacer.Allowance(room, kLimit, t + ReplyPacer::kHeldMillis) == room);
  CHECK_FALSE(pacer.paced());
  pacer.Sent(1024);
  CHECK(pacer.Allowance(room, kLimit, t + ReplyPacer::kHeldMillis) == room);
  CHECK_FALSE(pacer.paced());
}

TEST_CASE("pacing: a TCP connection has a round trip, a socketpair none") {
  int sv[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  CHECK_FALSE(LinkRttMicros(sv[0]).has_value());
  close(sv[0]);
  close(sv[1]);
  CHECK_FALSE(LinkRttMicros(-1).has_value());

  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(listener, 1) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(client >= 0);
  REQUIRE(connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) ==
          0);
  const int server = accept(listener, nullptr, nullptr);
  REQUIRE(server >= 0);
  const std::optional<uint32_t> rtt = LinkRttMicros(server);
  REQUIRE(rtt.has_value());
  // Loopback's round trip is far under a second.
  CHECK(*rtt < 1000000u);
  close(server);
  close(client);
  close(listener);
}

}  // namespace
}  // namespace sftpd

#include "sftpd/daemon/defender.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

namespace sftpd {
namespace {

using Clock = Defender::Clock;
using std::chrono::seconds;

Address A(const char* text) {
  std::optional<Address> a = Address::Parse(text);
  REQUIRE(a);
  return *a;
}

DefenderSection Settings() {
  DefenderSection s;
  s.threshold = 5;
  s.observation_time = 50;  // drains 1 point per 10 s
  s.ban_time = 30;
  s.score_failed_login = 1;
  s.score_invalid_user = 2;
  s.score_no_auth = 2;
  s.score_over_limit = 3;
  return s;
}

const Clock::time_point kT0 = Clock::time_point{} + seconds(1000000);

TEST_CASE("defender: failed logins in a burst ban the address, for ban_time") {
  Defender d(Settings());
  const Address bad = A("127.0.0.3"), good = A("127.0.0.1");
  for (int i = 0; i < 4; ++i) {
    CHECK_FALSE(d.Add(bad, Offence::kFailedLogin, kT0));
    CHECK_FALSE(d.BannedUntil(bad, kT0));
  }
  std::optional<int> reached = d.Add(bad, Offence::kFailedLogin, kT0);
  REQUIRE(reached);
  CHECK(*reached == 5);
  REQUIRE(d.BannedUntil(bad, kT0));
  CHECK(*d.BannedUntil(bad, kT0) == kT0 + seconds(30));
  CHECK_FALSE(d.BannedUntil(good, kT0));
  // Offences while banned do not lengthen the ban.
  CHECK_FALSE(d.Add(bad, Offence::kOverLimit, kT0 + seconds(29)));
  CHECK(d.BannedUntil(bad, kT0 + seconds(29)));
  CHECK_FALSE(d.BannedUntil(bad, kT0 + seconds(30)));
  // After the ban the score starts again from nothing.
  CHECK_FALSE(d.Add(bad, Offence::kFailedLogin, kT0 + seconds(31)));
}

TEST_CASE("defender: each offence weighs its configured points") {
  Defender d(Settings());
  const Clock::time_point t = kT0;
  CHECK_FALSE(d.Add(A("10.0.0.1"), Offence::kInvalidUser, t));  // 2
  CHECK(d.Add(A("10.0.0.1"), Offence::kOverLimit, t));          // 5
  CHECK_FALSE(d.Add(A("10.0.0.2"), Offence::kNoAuth, t));       // 2
  CHECK_FALSE(d.Add(A("10.0.0.2"), Offence::kNoAuth, t));       // 4
  CHECK(d.Add(A("10.0.0.2"), Offence::kNoAuth, t));             // 6
  // A weight of 0 turns an offence off.
  DefenderSection s = Settings();
  s.score_no_auth = 0;
  Defender off(s);
  for (int i = 0; i < 20; ++i) {
    CHECK_FALSE(off.Add(A("10.0.0.3"), Offence::kNoAuth, t));
  }
  CHECK(off.tracked() == 0);
}

TEST_CASE("defender: the score drains, so a slow rate never bans") {
  Defender d(Settings());
  const Address a = A("192.0.2.7");
  // One failure every 10 s drains as fast as it comes: never 5 points.
  for (int i = 0; i < 100; ++i) {
    CHECK_FALSE(d.Add(a, Offence::kFailedLogin, kT0 + seconds(10 * i)));
  }
  CHECK_FALSE(d.BannedUntil(a, kT0 + seconds(1000)));
  // Twice as fast does ban, within a bounded number of tries.
  int tries = 0;
  for (; tries < 100; ++tries) {
    if (d.Add(a, Offence::kFailedLogin, kT0 + seconds(1000 + 5 * tries))) {
      break;
    }
  }
  CHECK(tries < 100);
  CHECK(tries >= 4);
}

TEST_CASE("defender: never_ban and a disabled defender ban nothing") {
  DefenderSection s = Settings();
  s.never_ban = {*Cidr::Parse("127.0.0.4"), *Cidr::Parse("2001:db8::/32")};
  Defender d(s);
  for (const char* text : {"127.0.0.4", "2001:db8::9"}) {
    for (int i = 0; i < 50; ++i) {
      CHECK_FALSE(d.Add(A(text), Offence::kInvalidUser, kT0));
    }
    CHECK_FALSE(d.BannedUntil(A(text), kT0));
  }
  CHECK(d.Add(A("127.0.0.5"), Offence::kOverLimit, kT0) == std::nullopt);
  CHECK(d.Add(A("127.0.0.5"), Offence::kOverLimit, kT0));

  // An address banned, then put on never_ban by a reload, comes in at once.
  Defender later(Settings());
  REQUIRE(later.Add(A("127.0.0.6"), Offence::kOverLimit, kT0) == std::nullopt);
  REQUIRE(later.Add(A("127.0.0.6"), Offence::kOverLimit, kT0));
  DefenderSection more = Settings();
  more.never_ban = {*Cidr::Parse("127.0.0.6")};
  later.set_settings(more);
  CHECK_FALSE(later.BannedUntil(A("127.0.0.6"), kT0));

  DefenderSection off = Settings();
  off.enabled = false;
  Defender disabled(off);
  for (int i = 0; i < 50; ++i) {
    CHECK_FALSE(disabled.Add(A("127.0.0.7"), Offence::kOverLimit, kT0));
  }
  CHECK_FALSE(disabled.BannedUntil(A("127.0.0.7"), kT0));
}

TEST_CASE("defender: bans survive new settings, and disabling forgets them") {
  Defender d(Settings());
  const Address a = A("127.0.0.3");
  CHECK_FALSE(d.Add(a, Offence::kOverLimit, kT0));
  REQUIRE(d.Add(a, Offence::kOverLimit, kT0));
  DefenderSection s = Settings();
  s.ban_time = 5;  // applies to bans that begin from now on
  s.threshold = 100;
  d.set_settings(s);
  REQUIRE(d.BannedUntil(a, kT0 + seconds(10)));
  CHECK(*d.BannedUntil(a, kT0 + seconds(10)) == kT0 + seconds(30));
  s.enabled = false;
  d.set_settings(s);
  CHECK(d.tracked() == 0);
  CHECK_FALSE(d.BannedUntil(a, kT0 + seconds(10)));
}

TEST_CASE("defender: an IPv6 client is scored by its /64") {
  Defender d(Settings());
  CHECK_FALSE(d.Add(A("2001:db8:1:2::1"), Offence::kInvalidUser, kT0));
  CHECK_FALSE(d.Add(A("2001:db8:1:2::2"), Offence::kInvalidUser, kT0));
  CHECK(d.Add(A("2001:db8:1:2:ffff::3"), Offence::kInvalidUser, kT0));
  CHECK(d.BannedUntil(A("2001:db8:1:2::99"), kT0));
  CHECK_FALSE(d.BannedUntil(A("2001:db8:1:3::1"), kT0));
  // IPv4 addresses are one each, and apart from IPv6.
  CHECK_FALSE(d.BannedUntil(A("127.0.0.1"), kT0));
}

TEST_CASE("defender: drops outside every allow_from score as invalid users") {
  Defender d(Settings());
  const Address a = A("127.0.0.7");
  CHECK(OffenceName(Offence::kNotAllowed) == "address not in any allow_from");
  CHECK_FALSE(d.Add(a, Offence::kNotAllowed, kT0));
  CHECK_FALSE(d.Add(a, Offence::kNotAllowed, kT0));
  std::optional<int> reached = d.Add(a, Offence::kNotAllowed, kT0);
  REQUIRE(reached);
  CHECK(*reached == 5);  // 2 points each: banned on the third
  CHECK(d.BannedUntil(a, kT0));
}

TEST_CASE("defender: a flood of sources costs bounded memory, bans kept") {
  DefenderSection s = Settings();
  s.threshold = 10000;  // nobody is banned by the flood itself
  s.observation_time = 86400;
  Defender d(s);
  const Address banned = A("203.0.113.9");
  // Banned first, with a lower threshold, then the flood under the high one.
  DefenderSection low = s;
  low.threshold = 3;
  d.set_settings(low);
  REQUIRE(d.Add(banned, Offence::kOverLimit, kT0));
  d.set_settings(s);
  const size_t flood = Defender::kMaxTracked + 100;
  for (size_t i = 0; i < flood; ++i) {
    Address a;
    a.bytes = {0x20,      0x01, 0x0d, 0xb8, uint8_t(i >> 16), uint8_t(i >> 8),
               uint8_t(i)};
    d.Add(a, Offence::kNoAuth, kT0 + seconds(1));
  }
  CHECK(d.tracked() == Defender::kMaxTracked);
  CHECK(d.BannedUntil(banned, kT0 + seconds(2)));
}

TEST_CASE("defender: refused-login rules map to offences") {
  CHECK(OffenceOfLoginRule("authentication") == Offence::kFailedLogin);
  for (const char* r : {"unknown user", "no entry", "root", "own account only",
                        "user name changed"}) {
    CHECK(OffenceOfLoginRule(r) == Offence::kInvalidUser);
  }
  // A user who exists, refused from that address: scored the same, named
  // for what it is.
  CHECK(OffenceOfLoginRule("allow_from") == Offence::kUserNotAllowed);
  CHECK(OffenceName(Offence::kUserNotAllowed) ==
        "user not allowed from the address");
  // Counted otherwise, or not the client's doing.
  for (const char* r : {"max_tries", "pam session", "session",
                        "max_sessions_per_user", "", "login_grace_time"}) {
    CHECK_FALSE(OffenceOfLoginRule(r));
  }
}

TEST_CASE("defender: the bans in force, and unban") {
  Defender d(Settings());
  const Address v4 = A("127.0.0.3"), v6 = A("2001:db8::7");
  for (int i = 0; i < 5; ++i) (void)d.Add(v4, Offence::kFailedLogin, kT0);
  for (int i = 0; i < 3; ++i) {
    (void)d.Add(v6, Offence::kInvalidUser, kT0 + seconds(10));
  }
  (void)d.Add(A("127.0.0.9"), Offence::kFailedLogin, kT0);  // scored only
  std::vector<Defender::Ban> bans = d.Bans(kT0 + seconds(10));
  REQUIRE(bans.size() == 2);
  CHECK(bans[0].address == "127.0.0.3");  // ends first
  CHECK(bans[0].score == 5);
  CHECK(bans[0].until == kT0 + seconds(30));
  CHECK(bans[1].address == "2001:db8::/64");
  CHECK(bans[1].until == kT0 + seconds(40));
  CHECK(d.Bans(kT0 + seconds(35)).size() == 1);  // the first has ended

  CHECK_FALSE(d.Unban(A("127.0.0.9"), kT0));              // scored, not banned
  CHECK_FALSE(d.Unban(A("192.0.2.1"), kT0));              // never seen
  CHECK(d.Unban(A("2001:db8::1:2"), kT0 + seconds(10)));  // same /64
  CHECK_FALSE(d.BannedUntil(v6, kT0 + seconds(10)));
  CHECK(d.Bans(kT0 + seconds(10)).size() == 1);
  CHECK_FALSE(d.Unban(v6, kT0 + seconds(10)));  // lifted already
  // Its score is forgotten: one more offence does not ban it again.
  CHECK_FALSE(d.Add(v6, Offence::kInvalidUser, kT0 + seconds(11)));
  CHECK_FALSE(d.Unban(v4, kT0 + seconds(31)));  // ended by itself
}

TEST_CASE("defender: never_ban hides a ban made before it was set") {
  Defender d(Settings());
  for (int i = 0; i < 5; ++i)
    (void)d.Add(A("127.0.0.3"), Offence::kFailedLogin, kT0);
  DefenderSection s = Settings();
  s.never_ban = {*Cidr::Parse("127.0.0.0/8")};
  d.set_settings(s);
  CHECK(d.Bans(kT0).empty());
}

}  // namespace
}  // namespace sftpd

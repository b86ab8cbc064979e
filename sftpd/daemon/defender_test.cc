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

Cidr C(const char* text) {
  Result<Cidr> c = Cidr::Parse(text);
  REQUIRE(c);
  return *c;
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
  Defender::Began reached = d.Add(bad, Offence::kFailedLogin, kT0);
  REQUIRE(reached.network);
  CHECK(reached.network->score == 5);
  CHECK(reached.network->address == "127.0.0.3");
  CHECK(reached.network->prefix == 32);
  CHECK_FALSE(reached.wide);
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
  CHECK_FALSE(d.Add(A("127.0.0.5"), Offence::kOverLimit, kT0));
  CHECK(d.Add(A("127.0.0.5"), Offence::kOverLimit, kT0));

  // An address banned, then put on never_ban by a reload, comes in at once.
  Defender later(Settings());
  REQUIRE_FALSE(later.Add(A("127.0.0.6"), Offence::kOverLimit, kT0));
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
  Defender::Began reached = d.Add(a, Offence::kNotAllowed, kT0);
  REQUIRE(reached.network);
  CHECK(reached.network->score == 5);  // 2 points each: banned on the third
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
  CHECK(OffenceOfLoginRule("proxy_from") == Offence::kProxyHeader);
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

  CHECK(d.Unban(C("127.0.0.9"), kT0).empty());  // scored, not banned
  CHECK(d.Unban(C("192.0.2.1"), kT0).empty());  // never seen
  // An address inside the banned /64 lifts the /64.
  std::vector<Defender::Ban> lifted =
      d.Unban(C("2001:db8::1:2"), kT0 + seconds(10));
  REQUIRE(lifted.size() == 1);
  CHECK(lifted[0].address == "2001:db8::/64");
  CHECK(lifted[0].prefix == 64);
  CHECK_FALSE(d.BannedUntil(v6, kT0 + seconds(10)));
  CHECK(d.Bans(kT0 + seconds(10)).size() == 1);
  CHECK(d.Unban(C("2001:db8::7"), kT0 + seconds(10)).empty());  // lifted
  // Its score is forgotten: one more offence does not ban it again.
  CHECK_FALSE(d.Add(v6, Offence::kInvalidUser, kT0 + seconds(11)));
  CHECK(d.Unban(C("127.0.0.3"), kT0 + seconds(31)).empty());  // ended
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

// Settings() with the IPv6 rules set: /64 networks, their /48 banned at
// `networks` of them offending.
DefenderSection V6Settings(int prefix = 64, int wide = 48, int networks = 3) {
  DefenderSection s = Settings();
  s.ipv6_prefix = prefix;
  s.ipv6_wide_prefix = wide;
  s.ipv6_wide_networks = networks;
  return s;
}

// One failed login from `text` at `t`.
Defender::Began Fail(Defender& d, const std::string& text,
                     Clock::time_point t) {
  return d.Add(A(text.c_str()), Offence::kFailedLogin, t);
}

TEST_CASE("defender: two addresses of one /64 share a score by default") {
  DefenderSection s = Settings();
  REQUIRE(s.ipv6_prefix == 64);
  Defender d(s);
  for (int i = 0; i < 4; ++i) {
    CHECK_FALSE(Fail(d, i % 2 ? "2001:db8:1:2::a" : "2001:db8:1:2::b", kT0));
  }
  Defender::Began b = Fail(d, "2001:db8:1:2::b", kT0);
  REQUIRE(b.network);
  CHECK(b.network->address == "2001:db8:1:2::/64");
  CHECK(b.network->prefix == 64);
  CHECK(d.BannedUntil(A("2001:db8:1:2::a"), kT0));
  CHECK(d.BannedUntil(A("2001:db8:1:2:ffff::1"), kT0));  // never seen
  CHECK_FALSE(d.BannedUntil(A("2001:db8:1:3::a"), kT0));

  // ipv6_prefix = 128: each address alone.
  Defender apart(V6Settings(128, 48, 0));
  for (int i = 0; i < 8; ++i) {
    CHECK_FALSE(
        Fail(apart, i % 2 ? "2001:db8:1:2::a" : "2001:db8:1:2::b", kT0));
  }
  CHECK_FALSE(apart.BannedUntil(A("2001:db8:1:2::a"), kT0));
  b = Fail(apart, "2001:db8:1:2::a", kT0);  // its fifth
  REQUIRE(b.network);
  CHECK(b.network->address == "2001:db8:1:2::a/128");
  CHECK(apart.BannedUntil(A("2001:db8:1:2::a"), kT0));
  CHECK_FALSE(apart.BannedUntil(A("2001:db8:1:2::b"), kT0));
  for (int i = 0; i < 5; ++i) (void)Fail(apart, "::1", kT0);
  REQUIRE(apart.Bans(kT0).size() == 2);
  CHECK(apart.Bans(kT0)[0].address == "2001:db8:1:2::a/128");
  CHECK(apart.Bans(kT0)[1].address == "::1/128");
}

TEST_CASE("defender: networks offending in one /48 get the /48 banned") {
  Defender d(V6Settings());  // the /48 at 3 networks
  // One failure each from two /64s: neither network is banned, nor the /48.
  CHECK_FALSE(Fail(d, "2001:db8:0:1::1", kT0));
  CHECK_FALSE(Fail(d, "2001:db8:0:2::1", kT0));
  CHECK_FALSE(d.BannedUntil(A("2001:db8:0:3::1"), kT0));
  // More from a network already counted do not count it again.
  for (int i = 0; i < 3; ++i) CHECK_FALSE(Fail(d, "2001:db8:0:2::9", kT0));
  // The third network: the /48.
  Defender::Began b = Fail(d, "2001:db8:0:3::1", kT0);
  CHECK_FALSE(b.network);
  REQUIRE(b.wide);
  CHECK(b.wide->address == "2001:db8::/48");
  CHECK(b.wide->prefix == 48);
  CHECK(b.wide->score == 3);
  CHECK(b.wide->until == kT0 + seconds(30));
  // Every address of the /48 is banned, also of /64s never seen; not the
  // next /48.
  CHECK(d.BannedUntil(A("2001:db8:0:ffff::7"), kT0 + seconds(29)));
  CHECK_FALSE(d.BannedUntil(A("2001:db8:0:ffff::7"), kT0 + seconds(30)));
  CHECK_FALSE(d.BannedUntil(A("2001:db8:1:1::1"), kT0));
  REQUIRE(d.Bans(kT0).size() == 1);
  CHECK(d.Bans(kT0)[0].address == "2001:db8::/48");

  // N /64s of a /48 at the default of 8, one failure each, one at a time.
  Defender eight(V6Settings(64, 48, 8));
  for (int i = 1; i < 8; ++i) {
    CHECK_FALSE(Fail(eight, "2001:db8:5:" + std::to_string(i) + "::1", kT0));
  }
  CHECK(Fail(eight, "2001:db8:5:8::1", kT0).wide);
  CHECK(eight.BannedUntil(A("2001:db8:5:99::1"), kT0));

  // IPv4 stays per address: many addresses of one /24 ban none but their own.
  Defender v4(V6Settings());
  for (int i = 1; i < 40; ++i) {
    CHECK_FALSE(Fail(v4, "192.0.2." + std::to_string(i), kT0));
  }
  CHECK(v4.Bans(kT0).empty());
}

TEST_CASE("defender: one network alone never bans its wide prefix") {
  Defender d(V6Settings());  // drains 1 point per 10 s; /48 at 3 networks
  // Just under its own ban rate, for hours: the network is counted once per
  // observation_time, and the count drains 3 per observation_time.
  for (int i = 0; i < 2000; ++i) {
    CHECK_FALSE(Fail(d, "2001:db8:0:1::1", kT0 + seconds(11 * i)));
  }
  // Banned over and over itself, still only itself.
  Clock::time_point t = kT0 + seconds(30000);
  for (int round = 0; round < 20; ++round) {
    Defender::Began b;
    for (int i = 0; i < 5; ++i) b = Fail(d, "2001:db8:0:1::1", t);
    CHECK(b.network);
    CHECK_FALSE(b.wide);
    t += seconds(31);
  }
  CHECK_FALSE(d.BannedUntil(A("2001:db8:0:2::1"), t));
}

TEST_CASE("defender: the count of networks drains like a score") {
  // A new /64 every 20 s: 3 per 60 s, slower than 3 per observation_time
  // (50 s) drains. Never the /48.
  Defender slow(V6Settings());
  for (int i = 0; i < 200; ++i) {
    CHECK_FALSE(
        slow.Add(A(("2001:db8:0:" + std::to_string(i + 1) + "::1").c_str()),
                 Offence::kFailedLogin, kT0 + seconds(20 * i)));
  }
  // Every 5 s: the /48 within a bounded number of networks.
  Defender fast(V6Settings());
  int n = 0;
  for (; n < 100; ++n) {
    const std::string a = "2001:db8:0:" + std::to_string(n + 1) + "::1";
    if (Fail(fast, a, kT0 + seconds(5 * n)).wide) break;
  }
  CHECK(n >= 2);
  CHECK(n < 10);
}

TEST_CASE(
    "defender: ipv6_wide_networks = 0, or a wide prefix no wider, "
    "bans no wide prefix") {
  for (const DefenderSection& s :
       {V6Settings(64, 48, 0), V6Settings(64, 64, 3)}) {
    Defender d(s);
    for (int i = 1; i < 50; ++i) {
      CHECK_FALSE(Fail(d, "2001:db8:0:" + std::to_string(i) + "::1", kT0));
    }
    CHECK(d.Bans(kT0).empty());
  }
}

TEST_CASE("defender: never_ban wins over a wide ban, and is not counted") {
  DefenderSection s = V6Settings();
  s.never_ban = {C("2001:db8:0:1::/64"), C("2001:db8:0:2::5")};
  Defender d(s);
  // never_ban networks are not scored: they count for nothing.
  for (int i = 0; i < 20; ++i) {
    CHECK_FALSE(Fail(d, "2001:db8:0:1::" + std::to_string(i + 1), kT0));
    CHECK_FALSE(Fail(d, "2001:db8:0:2::5", kT0));
  }
  CHECK(d.tracked() == 0);
  CHECK_FALSE(Fail(d, "2001:db8:0:3::1", kT0));
  CHECK_FALSE(Fail(d, "2001:db8:0:4::1", kT0));
  REQUIRE(Fail(d, "2001:db8:0:2::6", kT0).wide);  // beside the never_ban one
  // The /48 is banned, save what never_ban holds, checked first.
  CHECK(d.BannedUntil(A("2001:db8:0:5::1"), kT0));
  CHECK(d.BannedUntil(A("2001:db8:0:2::6"), kT0));
  CHECK_FALSE(d.BannedUntil(A("2001:db8:0:1::77"), kT0));
  CHECK_FALSE(d.BannedUntil(A("2001:db8:0:2::5"), kT0));
  // Listed: never_ban holds only part of it.
  REQUIRE(d.Bans(kT0).size() == 1);
  CHECK(d.Bans(kT0)[0].address == "2001:db8::/48");
  // never_ban made to hold all of it by a reload: not enforced, not listed.
  s.never_ban = {C("2001:db8::/32")};
  d.set_settings(s);
  CHECK(d.Bans(kT0).empty());
  CHECK_FALSE(d.BannedUntil(A("2001:db8:0:5::1"), kT0));
}

TEST_CASE("defender: unban of an address or a CIDR block") {
  Defender d(V6Settings());
  for (int i = 0; i < 5; ++i) (void)Fail(d, "2001:db8:0:1::1", kT0);  // /64
  (void)Fail(d, "2001:db8:0:2::1", kT0);
  REQUIRE(Fail(d, "2001:db8:0:3::1", kT0).wide);  // and its /48
  for (int i = 0; i < 5; ++i) (void)Fail(d, "2001:db8:1:1::1", kT0);  // /64
  for (int i = 0; i < 5; ++i) (void)Fail(d, "127.0.0.3", kT0);
  for (int i = 0; i < 5; ++i) (void)Fail(d, "::1", kT0);  // ::/64
  REQUIRE(d.Bans(kT0).size() == 5);

  const auto names = [](const std::vector<Defender::Ban>& bans) {
    std::string out;
    for (const Defender::Ban& b : bans) out += b.address + " ";
    return out;
  };
  // Nothing there, or another family's: nothing lifted.
  CHECK(d.Unban(C("2001:db9::/32"), kT0).empty());
  CHECK(d.Unban(C("2001:db8:0:1::/80"), kT0 + seconds(31)).empty());  // ended
  // An address inside both the /64 and the /48: both lifted.
  CHECK(names(d.Unban(C("2001:db8:0:1::99"), kT0)) ==
        "2001:db8::/48 2001:db8:0:1::/64 ");
  CHECK_FALSE(d.BannedUntil(A("2001:db8:0:7::1"), kT0));
  // A block lifts the bans inside it; IPv4 ones are not in an IPv6 block,
  // not even in ::/64, where IPv4-mapped addresses sit.
  CHECK(names(d.Unban(C("::/64"), kT0)) == "::/64 ");
  CHECK(d.BannedUntil(A("127.0.0.3"), kT0));
  CHECK(names(d.Unban(C("2001:db8::/32"), kT0)) == "2001:db8:1:1::/64 ");
  CHECK(names(d.Unban(C("127.0.0.0/8"), kT0)) == "127.0.0.3 ");
  CHECK(d.Bans(kT0).empty());

  // A block inside a banned wide prefix lifts the prefix holding it.
  Defender w(V6Settings());
  for (int i = 1; i <= 3; ++i) {
    (void)Fail(w, "2001:db8:0:" + std::to_string(i) + "::1", kT0);
  }
  REQUIRE(w.Bans(kT0).size() == 1);
  std::vector<Defender::Ban> lifted = w.Unban(C("2001:db8:0:2::/64"), kT0);
  REQUIRE(lifted.size() == 1);
  CHECK(lifted[0].address == "2001:db8::/48");
  CHECK(lifted[0].prefix == 48);
  // Its count is forgotten with it: one more network does not ban it again.
  CHECK_FALSE(Fail(w, "2001:db8:0:9::1", kT0 + seconds(1)).wide);
}

TEST_CASE("defender: a changed IPv6 prefix forgets IPv6 scores, keeps bans") {
  Defender d(V6Settings());
  for (int i = 0; i < 5; ++i) (void)Fail(d, "2001:db8:0:1::1", kT0);  // banned
  for (int i = 0; i < 4; ++i) (void)Fail(d, "2001:db8:0:2::1", kT0);  // 4
  for (int i = 0; i < 4; ++i) (void)Fail(d, "127.0.0.3", kT0);        // 4
  // The same prefixes: nothing forgotten.
  CHECK(d.set_settings(V6Settings()) == 0);
  // ipv6_prefix 64 -> 56: the /64's four points and the /48's count of two
  // go (the banned /64 had no score to forget).
  CHECK(d.set_settings(V6Settings(56, 48, 3)) == 2);
  CHECK_FALSE(Fail(d, "2001:db8:0:2::1", kT0));  // one point, as new
  CHECK(Fail(d, "127.0.0.3", kT0).network);      // IPv4 kept its four
  // The /64 banned before stays banned, and is listed as a /64.
  CHECK(d.BannedUntil(A("2001:db8:0:1::77"), kT0 + seconds(1)));
  CHECK_FALSE(d.BannedUntil(A("2001:db8:0:3::1"), kT0 + seconds(1)));
  std::vector<Defender::Ban> bans = d.Bans(kT0);
  REQUIRE(bans.size() == 2);
  CHECK(bans[0].address == "127.0.0.3");
  CHECK(bans[1].address == "2001:db8:0:1::/64");
  // New bans are by /56.
  for (int i = 0; i < 4; ++i) (void)Fail(d, "2001:db8:0:2::1", kT0);
  CHECK(d.BannedUntil(A("2001:db8:0:ff::1"), kT0));
  CHECK(d.Bans(kT0).back().address == "2001:db8::/56");
}

}  // namespace
}  // namespace sftpd

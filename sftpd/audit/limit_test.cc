#include "sftpd/audit/limit.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "sftpd/audit/recording_audit.h"

namespace sftpd {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const AuditClock::time_point kT0 = AuditClock::time_point{} + seconds(1000000);

// 3 of a kind at once, one more every 10 s; 5 of all kinds, one more a
// second; counts summed up after 60 s; 4 kinds apart.
constexpr AuditBudget kBudget{.burst = 3,
                              .refill = seconds(10),
                              .total_burst = 5,
                              .total_refill = seconds(1),
                              .window = seconds(60),
                              .max_kinds = 4};

AuditKind Kind(std::string op, std::string rule = "read-only export") {
  return {.op = std::move(op),
          .result = "Permission denied",
          .rule = std::move(rule)};
}

uint64_t Total(const std::vector<AuditLimiter::Summary>& s) {
  uint64_t n = 0;
  for (const auto& x : s) n += x.count;
  return n;
}

TEST_CASE("audit limiter: a burst of one kind is written, the rest counted") {
  AuditLimiter l(kBudget);
  int written = 0;
  for (int i = 0; i < 1000; ++i) written += l.Admit(Kind("mkdir"), kT0);
  CHECK(written == 3);
  CHECK(l.pending() == 997);
  CHECK(l.Take(kT0 + seconds(59)).empty());  // the window has not ended
  std::vector<AuditLimiter::Summary> s = l.Take(kT0 + seconds(60));
  REQUIRE(s.size() == 1);
  CHECK(s[0].kind == Kind("mkdir"));
  CHECK(s[0].count == 997);
  CHECK(l.pending() == 0);
  CHECK(l.Take(kT0 + seconds(120)).empty());  // taken once
}

TEST_CASE("audit limiter: tokens come back one per refill, up to the burst") {
  AuditLimiter l(kBudget);
  for (int i = 0; i < 3; ++i) CHECK(l.Admit(Kind("mkdir"), kT0));
  CHECK_FALSE(l.Admit(Kind("mkdir"), kT0 + seconds(9)));
  CHECK(l.Admit(Kind("mkdir"), kT0 + seconds(10)));
  CHECK_FALSE(l.Admit(Kind("mkdir"), kT0 + seconds(19)));
  // Refills while the kind is quiet add up to the burst, not beyond.
  int written = 0;
  for (int i = 0; i < 10; ++i) {
    written += l.Admit(Kind("mkdir"), kT0 + seconds(1000));
  }
  CHECK(written == 3);
  // A steady trickle slower than the refill is written in full.
  AuditLimiter slow(kBudget);
  for (int i = 0; i < 20; ++i) {
    CHECK(slow.Admit(Kind("remove"), kT0 + seconds(10 * i)));
  }
  CHECK(slow.pending() == 0);
}

TEST_CASE("audit limiter: kinds have buckets of their own, under a total") {
  AuditLimiter l(kBudget);
  CHECK(l.Admit(Kind("mkdir"), kT0));
  CHECK(l.Admit(Kind("mkdir"), kT0));
  CHECK(l.Admit(Kind("remove"), kT0));
  CHECK(l.Admit(Kind("mkdir", "virtual root is read-only"), kT0));
  CHECK(l.Admit(Kind("setstat"), kT0));
  // Five written: the total is spent, though these kinds have tokens left.
  CHECK_FALSE(l.Admit(Kind("remove"), kT0));
  CHECK_FALSE(l.Admit(Kind("rmdir"), kT0));
  CHECK(l.Admit(Kind("remove"), kT0 + seconds(1)));  // one more a second
  CHECK(l.pending() == 2);
  std::vector<AuditLimiter::Summary> s = l.Take(kT0 + seconds(1), /*all=*/true);
  REQUIRE(s.size() == 2);
  CHECK(s[0].kind == Kind("remove"));
  CHECK(s[0].count == 1);
  // rmdir: max_kinds were busy, so it is counted with "other kinds".
  CHECK(s[1].kind == OtherKinds());
  CHECK(s[1].count == 1);
  CHECK(l.pending() == 0);
}

TEST_CASE("audit limiter: summaries count every event exactly") {
  AuditLimiter l(kBudget);
  const char* ops[] = {"mkdir", "remove", "setstat"};
  uint64_t written = 0, summed = 0;
  AuditClock::time_point now = kT0;
  for (int i = 0; i < 30000; ++i) {
    now += milliseconds(7);
    written += l.Admit(Kind(ops[i % 3]), now);
    summed += Total(l.Take(now));
  }
  summed += Total(l.Take(now, /*all=*/true));
  CHECK(written + summed == 30000);
  CHECK(l.pending() == 0);
  // 210 s: the bursts, then a token of each kind every 10 s.
  CHECK(written <= 3 * 3 + 3 * 21);
}

TEST_CASE("audit limiter: memory is bounded with many distinct kinds") {
  AuditLimiter l(kBudget);
  uint64_t written = 0;
  for (int i = 0; i < 100000; ++i) {
    AuditKind k = Kind("mkdir");
    k.address = "10." + std::to_string(i / 65536) + "." +
                std::to_string(i / 256 % 256) + "." + std::to_string(i % 256);
    written += l.Admit(k, kT0);
    CHECK(l.kinds() <= kBudget.max_kinds);
  }
  CHECK(written == 4);  // one kind each, four kinds tracked, total of five
  CHECK(l.pending() == 100000 - 4);
  std::vector<AuditLimiter::Summary> s = l.Take(kT0, /*all=*/true);
  CHECK(Total(s) == 100000 - 4);
  bool other = false;
  for (const auto& x : s) other = other || x.kind == OtherKinds();
  CHECK(other);
  // Quiet kinds are forgotten once their buckets are full again.
  l.Take(kT0 + seconds(1000));
  CHECK(l.kinds() == 0);
  // A kind's strings are cut, so a hostile op costs bounded memory too.
  const std::string huge(100000, 'x');
  AuditEvent e{.op = huge};
  CHECK(AuditKind::Of(e).op.size() == kMaxKindField);
}

TEST_CASE("audit limiter: drops, one line per address, then one a minute") {
  AuditLimiter l(kDropAuditBudget);
  auto drop = [](const char* address) {
    return AuditKind::Of({.op = "login",
                          .result = "refused",
                          .rule = "allow_from",
                          .detail = "dropped before key exchange"},
                         address);
  };
  CHECK(l.Admit(drop("127.0.0.3"), kT0));
  for (int i = 1; i <= 10; ++i) {
    CHECK_FALSE(l.Admit(drop("127.0.0.3"), kT0 + seconds(i)));
  }
  CHECK(l.Admit(drop("127.0.0.4"), kT0 + seconds(10)));  // its own line
  std::vector<AuditLimiter::Summary> s = l.Take(kT0 + seconds(61));
  REQUIRE(s.size() == 1);
  CHECK(s[0].kind.address == "127.0.0.3");
  CHECK(s[0].count == 10);
  AuditEvent e = SummaryEvent(s[0]);
  CHECK(e.op == "login");
  CHECK(e.rule == "allow_from");
  CHECK(e.repeated == 10);
  CHECK(l.Admit(drop("127.0.0.3"), kT0 + seconds(61)));  // a minute on
}

TEST_CASE("audit limiter: the session sink writes summaries, all at logout") {
  RecordingAudit inner;
  AuditClock::time_point now = kT0;
  LimitedAudit audit(inner, kBudget, [&] { return now; });
  audit.Record({.op = "login"});
  for (int i = 0; i < 100; ++i) {
    audit.Record({.op = "mkdir",
                  .path = "/archive/x" + std::to_string(i),
                  .result = "Permission denied",
                  .rule = "read-only export"});
    audit.Record({.op = "open", .path = "/home/f", .detail = "r"});
  }
  // The successes are all written; 3 refusals, then counts.
  CHECK(inner.entries.size() == 1 + 3 + 100);
  now += seconds(61);
  audit.Record({.op = "stat", .path = "/x", .result = "No such file"});
  REQUIRE(inner.entries.size() == 1 + 3 + 100 + 2);
  const RecordingAudit::Entry& sum = inner.entries[104];
  CHECK(sum.op == "mkdir");
  CHECK(sum.rule == "read-only export");
  CHECK(sum.path.empty());
  CHECK(sum.repeated == 97);
  CHECK(inner.entries[105].op == "stat");
  for (int i = 0; i < 10; ++i) {
    audit.Record({.op = "remove",
                  .result = "Permission denied",
                  .rule = "owner_only: not the user's file"});
  }
  audit.Record({.op = "logout"});
  REQUIRE(inner.entries.size() >= 2);
  const RecordingAudit::Entry& last = inner.entries.back();
  CHECK(last.op == "logout");
  const RecordingAudit::Entry& before = inner.entries[inner.entries.size() - 2];
  CHECK(before.op == "remove");
  CHECK(before.repeated == 7);
}

}  // namespace
}  // namespace sftpd

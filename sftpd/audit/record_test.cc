// Reading audit lines back: every line the writer makes parses to what went
// in, corrupt lines say why, and the times --since/--until take.
#include "sftpd/audit/record.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "sftpd/audit/audit.h"

namespace sftpd {
namespace {

// 2026-11-23T14:36:04.123456Z
constexpr int64_t kTime = 1795444564123456;

AuditIdentity Bob() {
  return {.session = "00000000000000ff",
          .user = "bob",
          .uid = 1001,
          .address = "2001:db8::7",
          .port = 40022};
}

TEST_CASE("audit record: a written line parses to what went in") {
  const AuditEvent e{.op = "rename",
                     .path = "/home/a \"quoted\"\n\ttab",
                     .target = "/home/caf\xc3\xa9 \xe2\x98\x95",
                     .result = "ok",
                     .rule = "r",
                     .detail = "d\\e",
                     .bytes_read = 0,
                     .bytes_written = 1234567890123};
  const std::string line = FormatAuditEvent(Bob(), e, kTime);
  AuditRecord r;
  Result<void> why = ParseAuditLine(line, &r);
  INFO(line);
  REQUIRE(why.ok());
  CHECK(r.time == "2026-11-23T14:36:04.123456Z");
  CHECK(r.time_us == kTime);
  CHECK(r.session == "00000000000000ff");
  CHECK(r.user == "bob");
  CHECK(r.uid == 1001);
  CHECK(r.address == "2001:db8::7");
  CHECK(r.port == 40022);
  CHECK(r.op == "rename");
  CHECK(r.path == e.path);
  CHECK(r.target == e.target);
  CHECK(r.result == "ok");
  CHECK(r.rule == "r");
  CHECK(r.detail == "d\\e");
  CHECK(r.bytes_read == 0);
  CHECK(r.bytes_written == 1234567890123);

  // Members the line leaves out get their defaults, also when the record
  // held a fuller line before.
  const std::string few = FormatAuditEvent({}, {.op = "login"}, kTime);
  REQUIRE(ParseAuditLine(few, &r).ok());
  CHECK(r.user.empty());
  CHECK(r.path.empty());
  CHECK(r.uid == -1);
  CHECK(r.port == 0);
  CHECK(r.bytes_read == -1);
  CHECK(r.bytes_written == -1);
  CHECK(r.repeated == 0);
}

TEST_CASE("audit record: a summary line reads back with its count") {
  const std::string line = FormatAuditEvent(Bob(),
                                            {.op = "mkdir",
                                             .result = "Permission denied",
                                             .rule = "read-only export",
                                             .repeated = 9990},
                                            kTime);
  CHECK(line.ends_with(",\"rule\":\"read-only export\",\"repeated\":9990}"));
  AuditRecord r;
  REQUIRE(ParseAuditLine(line, &r).ok());
  CHECK(r.op == "mkdir");
  CHECK(r.rule == "read-only export");
  CHECK(r.path.empty());
  CHECK(r.repeated == 9990);
  REQUIRE(
      ParseAuditLine(FormatAuditEvent(Bob(), {.op = "login"}, kTime), &r).ok());
  CHECK(r.repeated == 0);
}

TEST_CASE("audit record: a line with cut strings says which") {
  const std::string long_path = "/home/" + std::string(5000, 'x');
  AuditRecord r;
  REQUIRE(ParseAuditLine(FormatAuditEvent(Bob(),
                                          {.op = "mkdir",
                                           .path = long_path,
                                           .detail = std::string(5000, 'd')},
                                          kTime),
                         &r)
              .ok());
  CHECK(r.cut == "path,detail");
  CHECK(r.path.size() == 4096);
  CHECK(long_path.starts_with(r.path));
  REQUIRE(
      ParseAuditLine(FormatAuditEvent(Bob(), {.op = "login"}, kTime), &r).ok());
  CHECK(r.cut.empty());
}

TEST_CASE("audit record: any bytes in a path come back as they went in") {
  std::mt19937 rng(7);
  AuditRecord r;
  for (int k = 0; k < 2000; ++k) {
    std::string path(size_t(rng() % 64), '\0');
    for (char& c : path) c = char(rng() % 256);
    const std::string line =
        FormatAuditEvent(Bob(), {.op = "open", .path = path}, kTime);
    Result<void> why = ParseAuditLine(line, &r);
    INFO(line);
    REQUIRE(why.ok());
    REQUIRE(r.path == path);
  }
}

TEST_CASE("audit record: corrupt lines say why") {
  struct Case {
    std::string line;
    std::string reason;  // a part of the reason
  };
  const std::string t = "\"time\":\"2026-11-23T14:36:04Z\"";
  const std::vector<Case> cases = {
      {"", "no '{'"},
      {"not json", "no '{'"},
      {"[1,2]", "no '{'"},
      {"{", "a member name expected"},
      {"{" + t, "',' or '}' expected"},
      {"{" + t + ",\"op\":\"open\"", "',' or '}' expected"},
      {"{" + t + ",\"op\":\"open\"} trailing", "text after the object"},
      {"{" + t + ",\"op\":\"open\"}}", "text after the object"},
      {"{\"op\":\"open\"}", "no \"time\""},
      {"{" + t + "}", "no \"op\""},
      {"{" + t + ",\"op\":\"\"}", "no \"op\""},
      {"{\"time\":\"yesterday\",\"op\":\"open\"}", "not RFC 3339"},
      {"{\"time\":\"2026-02-30T00:00:00Z\",\"op\":\"open\"}", "not RFC 3339"},
      {"{" + t + ",\"op\":\"op\\x\"}", "a bad string"},
      {"{" + t + ",\"op\":\"\\u12\"}", "a bad string"},
      {"{" + t + ",\"op\":\"\\ud800\"}", "a bad string"},
      {"{" + t + ",\"op\":\"a\tb\"}", "a bad string"},
      {"{" + t + ",\"op\":\"open", "a bad string"},
      {"{" + t + ",\"op\":\"open\",\"port\":99999999999999999999}",
       "a bad number"},
      {"{" + t + ",\"op\":\"open\",\"port\":-}", "a bad number"},
      {"{" + t + ",\"op\":\"open\",\"port\":}", "a value expected"},
      {"{" + t + ",\"op\":\"open\",\"x\":[1]}", "a value expected"},
      {"{" + t + " \"op\":\"open\"}", "',' or '}' expected"},
      {"{\"time\"\"2026\"}", "':' expected"},
      {"{1:2}", "a member name expected"},
  };
  AuditRecord r;
  for (const Case& c : cases) {
    INFO(c.line);
    Result<void> why = ParseAuditLine(c.line, &r);
    REQUIRE_FALSE(why.ok());
    CHECK(why.error().find(c.reason) != std::string::npos);
  }
  // What other writers may add is not an error: unknown members, literals,
  // spaces, surrogate pairs, and an escaped slash.
  Result<void> why = ParseAuditLine(
      " { " + t +
          " , \"op\" : \"open\", \"new\": true, \"n\": null, \"k\": -3,"
          " \"path\": \"/a\\/\\ud83d\\ude00\" } ",
      &r);
  REQUIRE(why.ok());
  CHECK(r.path == "/a/\xf0\x9f\x98\x80");
}

TEST_CASE("audit record: RFC 3339 times and dates") {
  CHECK(ParseRfc3339("1970-01-01T00:00:00Z") == 0);
  CHECK(ParseRfc3339("1970-01-01") == 0);
  CHECK(ParseRfc3339("2026-11-23T14:36:04.123456Z") == kTime);
  CHECK(ParseRfc3339("2026-11-23t14:36:04.123456z") == kTime);
  CHECK(ParseRfc3339("2026-11-23 14:36:04.123456Z") == kTime);
  CHECK(ParseRfc3339("2026-11-23T16:36:04.123456+02:00") == kTime);
  CHECK(ParseRfc3339("2026-11-23T09:36:04.123456-05:00") == kTime);
  CHECK(ParseRfc3339("2026-11-23T14:36:04.1234569Z") == kTime);  // cut to µs
  CHECK(ParseRfc3339("2026-11-23T14:36:04.1Z") == kTime - 23456);
  CHECK(ParseRfc3339("2024-02-29T00:00:00Z") == int64_t(1709164800) * 1000000);
  CHECK(ParseRfc3339("2000-03-01") == int64_t(951868800) * 1000000);
  for (const char* bad :
       {"", "2026", "2026-11", "2026-13-01", "2026-00-10", "2025-02-29",
        "2026-11-31", "2026-11-23T", "2026-11-23T14:36:04", "2026-11-23T14:36Z",
        "2026-11-23T24:00:00Z", "2026-11-23T14:60:00Z", "2026-11-23T14:36:04.Z",
        "2026-11-23T14:36:04+2:00", "2026-11-23T14:36:04+02:00x",
        "2026-11-23T14:36:04Zx", "26-11-23", "2026/11/23"}) {
    INFO(bad);
    CHECK_FALSE(ParseRfc3339(bad).has_value());
  }
}

TEST_CASE("audit record: --since and --until take times and spans") {
  const int64_t now = kTime;
  CHECK(*ParseMoment("90s", now) == now - 90 * 1000000LL);
  CHECK(*ParseMoment("90m", now) == now - 90 * 60 * 1000000LL);
  CHECK(*ParseMoment("2h", now) == now - 2 * 3600 * 1000000LL);
  CHECK(*ParseMoment("7d", now) == now - 7 * 86400 * 1000000LL);
  CHECK(*ParseMoment("2w", now) == now - 14 * 86400 * 1000000LL);
  CHECK(*ParseMoment("0d", now) == now);
  CHECK(*ParseMoment("2026-11-23T14:36:04.123456Z", now) == kTime);
  CHECK(*ParseMoment("2026-11-23", now) == kTime - 52564123456);
  for (const char* bad : {"", "h", "2", "-2h", "2y", "2 h", "1.5h", "tomorrow",
                          "99999999999999999999d", "400000w"}) {
    INFO(bad);
    Result<int64_t> r = ParseMoment(bad, now);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().find("is not a time") != std::string::npos);
  }
}

}  // namespace
}  // namespace sftpd

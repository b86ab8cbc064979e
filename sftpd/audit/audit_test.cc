#include "sftpd/audit/audit.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "config/testing.h"

namespace sftpd {
namespace {

// A strict reader for the one shape audit lines have: a flat object whose
// values are strings or integers. Raw bytes must be valid UTF-8 and contain
// no control bytes; \u escapes must be \u00XX. Returns the members in order
// (escapes kept as written, so tests see exactly what was emitted), or
// nullopt for anything that is not such an object.
using Members = std::vector<std::pair<std::string, std::string>>;

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80                 ? 1
               : c >= 0xC2 && c <= 0xDF ? 2
               : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xF0 && c <= 0xF4 ? 4
                                        : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    const unsigned char c1 = n > 1 ? static_cast<unsigned char>(s[i + 1]) : 0;
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) ||
        (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 > 0x8F)) {
      return false;
    }
    i += n;
  }
  return true;
}

std::optional<Members> ParseFlatObject(std::string_view s) {
  if (!ValidUtf8(s)) return std::nullopt;
  size_t i = 0;
  auto string_at = [&](std::string& out) -> bool {
    if (i >= s.size() || s[i] != '"') return false;
    for (++i; i < s.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(s[i]);
      if (c == '"') {
        ++i;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        if (i + 1 >= s.size()) return false;
        const char e = s[i + 1];
        if (e == '"' || e == '\\') {
          out += s.substr(i, 2);
          ++i;
        } else if (e == 'u') {
          if (i + 6 > s.size() || s.substr(i + 2, 2) != "00" ||
              !std::isxdigit(static_cast<unsigned char>(s[i + 4])) ||
              !std::isxdigit(static_cast<unsigned char>(s[i + 5]))) {
            return false;
          }
          out += s.substr(i, 6);
          i += 5;
        } else {
          return false;
        }
      } else {
        out += static_cast<char>(c);
      }
    }
    return false;
  };
  Members members;
  if (s.empty() || s[i++] != '{') return std::nullopt;
  while (i < s.size() && s[i] != '}') {
    if (!members.empty() && s[i++] != ',') return std::nullopt;
    std::string key, value;
    if (!string_at(key) || i >= s.size() || s[i++] != ':') return std::nullopt;
    if (i < s.size() && s[i] == '"') {
      if (!string_at(value)) return std::nullopt;
    } else {
      const size_t start = i;
      if (i < s.size() && s[i] == '-') ++i;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
        ++i;
      if (i == start) return std::nullopt;
      value = std::string(s.substr(start, i - start));
    }
    members.emplace_back(key, value);
  }
  if (i >= s.size() || s[i] != '}' || i + 1 != s.size()) return std::nullopt;
  return members;
}

std::vector<std::string> Keys(const Members& m) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : m) keys.push_back(k);
  return keys;
}

std::string Value(const Members& m, const std::string& key) {
  for (const auto& [k, v] : m) {
    if (k == key) return v;
  }
  return "<absent>";
}

AuditIdentity Alice() {
  return {.session = "0123456789abcdef",
          .user = "alice",
          .uid = 1000,
          .address = "192.0.2.7",
          .port = 51022};
}

// 2026-11-23T14:36:04.123456Z
constexpr int64_t kTime = 1795444564123456;

// The escaped form of `path` inside a formatted event.
std::string EscapedPath(std::string_view path) {
  AuditEvent e{.op = "open", .path = path};
  const std::string line = FormatAuditEvent(Alice(), e, kTime);
  auto members = ParseFlatObject(line);
  INFO(line);
  REQUIRE(members.has_value());
  return Value(*members, "path");
}

TEST_CASE("audit: strings are escaped so the line is valid JSON") {
  struct Case {
    std::string in, out;
  };
  const std::vector<Case> cases = {
      {"plain/file.txt", "plain/file.txt"},
      {"a\"b", "a\\\"b"},
      {"a\\b", "a\\\\b"},
      {"line\nbreak", "line\\u000abreak"},
      {std::string("nul\0x", 5), "nul\\u0000x"},
      {"\x01\x1f\x7f", "\\u0001\\u001f\\u007f"},
      {"bad\xff", "bad\\u00ff"},
      {"\xc0\xaf", "\\u00c0\\u00af"},             // overlong '/'
      {"\xe0\x80\xaf", "\\u00e0\\u0080\\u00af"},  // overlong, 3 bytes
      {"\xed\xa0\x80", "\\u00ed\\u00a0\\u0080"},  // surrogate
      {"\xf4\x90\x80\x80", "\\u00f4\\u0090\\u0080\\u0080"},  // > U+10FFFF
      {"cut\xc3", "cut\\u00c3"},  // truncated sequence
      {"\xc2\x9b"
       "2J",
       "\\u00c2\\u009b2J"},                // C1 CSI, byte by byte
      {"M\xc3\xbcller", "M\xc3\xbcller"},  // ü kept as is
      {"\xe2\x82\xac \xf0\x9f\x98\x80", "\xe2\x82\xac \xf0\x9f\x98\x80"},
  };
  for (const auto& c : cases) {
    INFO("input bytes: " << c.in.size());
    CHECK(EscapedPath(c.in) == c.out);
  }
}

TEST_CASE("audit: fields come in the fixed order and empty ones are left out") {
  AuditEvent full{.op = "rename",
                  .path = "/home/a",
                  .target = "/home/b",
                  .result = "ok",
                  .rule = "r",
                  .detail = "rwct",
                  .bytes_read = 10,
                  .bytes_written = 0,
                  .repeated = 7};
  auto all = ParseFlatObject(FormatAuditEvent(Alice(), full, kTime));
  REQUIRE(all.has_value());
  CHECK(Keys(*all) == std::vector<std::string>{
                          "time", "session", "user", "uid", "addr", "port",
                          "op", "path", "target", "result", "rule", "detail",
                          "bytes_read", "bytes_written", "repeated"});
  CHECK(Value(*all, "uid") == "1000");
  CHECK(Value(*all, "port") == "51022");
  CHECK(Value(*all, "bytes_read") == "10");
  CHECK(Value(*all, "bytes_written") == "0");
  CHECK(Value(*all, "repeated") == "7");

  AuditIdentity local{.session = "00000000000000aa", .user = "bob", .uid = 0};
  AuditEvent login{.op = "login"};
  auto few = ParseFlatObject(FormatAuditEvent(local, login, kTime));
  REQUIRE(few.has_value());
  CHECK(Keys(*few) == std::vector<std::string>{"time", "session", "user", "uid",
                                               "op", "result"});
  CHECK(Value(*few, "uid") == "0");
  CHECK(Value(*few, "result") == "ok");

  // Before authentication the uid is not known: left out, not shown as 0.
  AuditIdentity early{.session = "00000000000000ab", .address = "192.0.2.9"};
  auto refused = ParseFlatObject(FormatAuditEvent(
      early, {.op = "login", .result = "refused", .rule = "allow_from"},
      kTime));
  REQUIRE(refused.has_value());
  CHECK(Keys(*refused) == std::vector<std::string>{"time", "session", "addr",
                                                   "op", "result", "rule"});
}

TEST_CASE("audit: time is RFC 3339 UTC with microseconds") {
  auto time_of = [](int64_t us) {
    auto m = ParseFlatObject(FormatAuditEvent(Alice(), {.op = "x"}, us));
    REQUIRE(m.has_value());
    return Value(*m, "time");
  };
  CHECK(time_of(kTime) == "2026-11-23T14:36:04.123456Z");
  CHECK(time_of(0) == "1970-01-01T00:00:00.000000Z");
  CHECK(time_of(951782400000001) == "2000-02-29T00:00:00.000001Z");
  CHECK(time_of(-1) == "1969-12-31T23:59:59.999999Z");
}

TEST_CASE("audit: long strings are cut at 4096 bytes, never inside an escape") {
  CHECK(EscapedPath(std::string(5000, 'a')) == std::string(4096, 'a'));
  CHECK(EscapedPath(std::string(4096, 'a')) == std::string(4096, 'a'));

  // 6-byte escapes: 682 fit (4092 bytes), the 683rd would not.
  const std::string ctl = EscapedPath(std::string(1000, '\x01'));
  CHECK(ctl.size() == 4092);
  CHECK(ctl.substr(ctl.size() - 6) == "\\u0001");

  // 'a' then 2-byte characters: the last one that does not fit whole is
  // dropped whole.
  std::string umlauts = "a";
  for (int k = 0; k < 3000; ++k) umlauts += "\xc3\xbc";
  const std::string cut = EscapedPath(umlauts);
  CHECK(cut.size() == 4095);
  CHECK(ValidUtf8(cut));

  // Every field is bounded, so a line is too.
  std::string huge(100000, '"');
  AuditEvent e{.op = huge, .path = huge, .target = huge, .detail = huge};
  const std::string line = FormatAuditEvent(Alice(), e, kTime);
  CHECK(ParseFlatObject(line).has_value());
  CHECK(line.size() < 5 * 4096);
}

TEST_CASE("audit: a line with a cut string names the members cut") {
  auto members = [](const AuditIdentity& who, const AuditEvent& e) {
    auto m = ParseFlatObject(FormatAuditEvent(who, e, kTime));
    REQUIRE(m.has_value());
    return *m;
  };
  const std::string fits(4096, 'a'), over(4097, 'a');
  const std::string escapes(700, '\n');  // 4200 bytes escaped

  // Nothing cut: no "cut" member, even at exactly the limit.
  CHECK(Value(members(Alice(), {.op = "open", .path = fits}), "cut") ==
        "<absent>");
  CHECK(Keys(members(Alice(), {.op = "open", .path = fits})).back() ==
        "result");

  auto path = members(Alice(), {.op = "open", .path = over, .detail = "r"});
  CHECK(Keys(path).back() == "cut");
  CHECK(Value(path, "cut") == "path");
  CHECK(Value(path, "path") == fits);

  // Cut by its escaped length, not its raw one.
  CHECK(Value(members(Alice(), {.op = "open", .detail = escapes}), "cut") ==
        "detail");

  // Several, in the line's order, identity members too.
  AuditIdentity long_name = Alice();
  long_name.user = over;
  auto all = members(long_name, {.op = "rename",
                                 .path = escapes,
                                 .target = over,
                                 .detail = "d",
                                 .key = over});
  CHECK(Value(all, "cut") == "user,path,target,key");
}

TEST_CASE("audit: JsonAudit appends one valid line per event") {
  char path[] = "/tmp/sftpd-audit-test-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  {
    AuditSection settings;
    settings.syslog = false;
    AuditLog log(fd, settings);
    JsonAudit audit(Alice(), log);
    CHECK(audit.identity().user == "alice");
    audit.Record({.op = "open", .path = "/home/x\ny\"z", .detail = "r"});
    audit.Record({.op = "close",
                  .path = "/home/\xff",
                  .bytes_read = 42,
                  .bytes_written = 0});
  }  // closes fd
  std::ifstream in(path, std::ios::binary);
  std::stringstream all;
  all << in.rdbuf();
  unlink(path);
  const std::string text = all.str();
  REQUIRE(!text.empty());
  CHECK(text.back() == '\n');
  std::vector<Members> lines;
  std::istringstream split(text);
  for (std::string line; std::getline(split, line);) {
    INFO(line);
    auto m = ParseFlatObject(line);
    REQUIRE(m.has_value());
    lines.push_back(*m);
  }
  REQUIRE(lines.size() == 2);
  CHECK(Value(lines[0], "op") == "open");
  CHECK(Value(lines[0], "path") == "/home/x\\u000ay\\\"z");
  CHECK(Value(lines[0], "bytes_read") == "<absent>");
  CHECK(Value(lines[1], "op") == "close");
  CHECK(Value(lines[1], "path") == "/home/\\u00ff");
  CHECK(Value(lines[1], "bytes_read") == "42");
  CHECK(Value(lines[1], "session") == "0123456789abcdef");
  CHECK(Value(lines[1], "addr") == "192.0.2.7");
  // Recorded now, not at some fixed time.
  CHECK(Value(lines[1], "time").substr(0, 2) == "20");
  CHECK(Value(lines[1], "time") >= Value(lines[0], "time"));
}

// The "op" of one formatted line.
std::string OpOf(const std::string& line) {
  INFO(line);
  auto m = ParseFlatObject(line);
  REQUIRE(m.has_value());
  return Value(*m, "op");
}

// Collects what is written to stderr while it lives.
class CapturedStderr {
 public:
  CapturedStderr() {
    char path[] = "/tmp/sftpd-audit-stderr-XXXXXX";
    fd_ = mkstemp(path);
    REQUIRE(fd_ >= 0);
    unlink(path);
    std::fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    REQUIRE(saved_ >= 0);
    dup2(fd_, STDERR_FILENO);
  }
  ~CapturedStderr() { Restore(); }
  CapturedStderr(const CapturedStderr&) = delete;
  CapturedStderr& operator=(const CapturedStderr&) = delete;
  // Everything written so far, one string per line.
  std::vector<std::string> Lines() {
    std::fflush(stderr);
    std::string all;
    char buf[4096];
    ssize_t n;
    off_t at = 0;
    while ((n = pread(fd_, buf, sizeof buf, at)) > 0) {
      all.append(buf, size_t(n));
      at += n;
    }
    std::vector<std::string> out;
    std::istringstream in(all);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

 private:
  void Restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    close(fd_);
    saved_ = -1;
  }
  int fd_ = -1;
  int saved_ = -1;
};

TEST_CASE(
    "audit: a full disk is reported once, its lines kept, until it heals") {
  // /dev/full fails every write with ENOSPC, as a full disk does; putting a
  // real file at the same fd number lets the disk "heal".
  const int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  char path[] = "/tmp/sftpd-audit-heal-XXXXXX";
  const int good = mkstemp(path);
  REQUIRE(good >= 0);
  unlink(path);
  AuditSection settings;
  settings.log = "/var/log/test/audit.jsonl";
  settings.syslog = false;
  const bool refuse = GENERATE(false, true);
  settings.on_failure =
      refuse ? AuditFailure::kRefuse : AuditFailure::kContinue;
  const bool to_stderr = GENERATE(true, false);
  CapturedStderr err;
  AuditLog log(fd, settings, to_stderr);
  JsonAudit audit(Alice(), log);
  audit.Record({.op = "open", .path = "/x"});
  CHECK(log.failing());
  CHECK(audit.Refusing() == refuse);
  audit.Record({.op = "close", .path = "/x"});
  std::vector<std::string> lines = err.Lines();
  INFO(lines.size());
  REQUIRE(lines.size() == (to_stderr ? 3u : 1u));
  CHECK(lines[0].find("audit log /var/log/test/audit.jsonl: write failed (No "
                      "space left on device); audit events go to syslog") !=
        std::string::npos);
  CHECK((lines[0].find("file operations are refused") != std::string::npos) ==
        refuse);
  if (to_stderr) {
    CHECK(lines[1].find("sftpd: audit {\"time\":") == 0);
    CHECK(OpOf(lines[1].substr(13)) == "open");
    CHECK(OpOf(lines[2].substr(13)) == "close");
  }

  REQUIRE(dup2(good, fd) == fd);
  audit.Record({.op = "logout"});
  CHECK_FALSE(log.failing());
  CHECK_FALSE(audit.Refusing());
  lines = err.Lines();
  CHECK(lines.back() ==
        "sftpd: audit log /var/log/test/audit.jsonl is written again");
  char buf[4096] = {};
  ssize_t n = pread(good, buf, sizeof buf - 1, 0);
  REQUIRE(n > 0);
  CHECK(OpOf(std::string(buf, size_t(n) - 1)) == "logout");
  close(good);
}

TEST_CASE("audit: session ids are 16 hex digits and unique") {
  std::set<std::string> seen;
  for (int k = 0; k < 1000; ++k) {
    const std::string id = NewSessionId();
    REQUIRE(id.size() == 16);
    CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("audit: --stdio's rule creates no file and takes only root's") {
  testing::TempDir dir;
  AuditSection settings;
  settings.syslog = false;
  settings.log = dir.path() + "/audit.jsonl";
  const char* path = settings.log.c_str();
  {
    AuditLog log(settings, false, AuditFileRule::kAppendToRoots);
    Result<void> opened = log.Reopen();
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().find("No such file") != std::string::npos);
  }
  CHECK(access(path, F_OK) != 0);
  if (geteuid() != 0) return;  // owners can be changed by root alone

  {  // The listener's rule makes it, 0600.
    AuditLog log(settings, false);
    log.Write("{\"op\":\"one\"}");
  }
  struct stat st;
  REQUIRE(stat(path, &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  {  // Root's file is appended to.
    AuditLog log(settings, false, AuditFileRule::kAppendToRoots);
    REQUIRE(log.Reopen().ok());
    log.Write("{\"op\":\"two\"}");
  }
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  CHECK(text.str() == "{\"op\":\"one\"}\n{\"op\":\"two\"}\n");
  // A file of a user's own is not: the user could rewrite the trail.
  REQUIRE(chown(path, 65534, 65534) == 0);
  AuditLog log(settings, false, AuditFileRule::kAppendToRoots);
  Result<void> theirs = log.Reopen();
  REQUIRE_FALSE(theirs.ok());
  CHECK(theirs.error().find("not a regular file of root's") !=
        std::string::npos);
}

}  // namespace
}  // namespace sftpd

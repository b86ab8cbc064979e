#include "sftpd/daemon/authorized_keys.h"

#include <libssh/libssh.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/cidr.h"

namespace sftpd {
namespace {

// A directory tree under /tmp for the StrictModes checks; needs root to give
// files away.
struct KeysTree {
  KeysTree() {
    char tmpl[] = "/tmp/sftpd-daemon-test.XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    root = tmpl;
    chmod(root.c_str(), 0755);
    std::filesystem::create_directories(root + "/etc/keys");
    chmod((root + "/etc").c_str(), 0755);
    chmod((root + "/etc/keys").c_str(), 0755);
    file = root + "/etc/keys/alice";
    FILE* f = fopen(file.c_str(), "w");
    REQUIRE(f != nullptr);
    fputs("ssh-ed25519 AAAA test\n", f);
    fclose(f);
    chmod(file.c_str(), 0644);
  }
  ~KeysTree() { std::filesystem::remove_all(root); }
  std::string root, file;
};

constexpr uid_t kUser = 4242;

TEST_CASE(
    "daemon keys: authorized_keys are read only when nobody else could "
    "have written them") {
  if (geteuid() != 0) {
    WARN("needs root to give files away; skipped");
    return;
  }
  KeysTree t;
  SECTION("root-owned file and directories, /tmp sticky: read") {
    Result<std::string> r = ReadAuthorizedKeysFile(t.file, kUser, kUser);
    REQUIRE(r.ok());
    CHECK(*r == "ssh-ed25519 AAAA test\n");
  }
  SECTION("owned by the user: read") {
    REQUIRE(chown(t.file.c_str(), kUser, 0) == 0);
    REQUIRE(chown((t.root + "/etc/keys").c_str(), kUser, 0) == 0);
    CHECK(ReadAuthorizedKeysFile(t.file, kUser, kUser).ok());
  }
  SECTION("owned by another user: refused") {
    REQUIRE(chown(t.file.c_str(), kUser + 1, 0) == 0);
    Result<std::string> r = ReadAuthorizedKeysFile(t.file, kUser, kUser);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error(), Catch::Contains("owned by uid 4243"));
  }
  SECTION("group-writable file: refused") {
    chmod(t.file.c_str(), 0664);
    Result<std::string> r = ReadAuthorizedKeysFile(t.file, kUser, kUser);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error(), Catch::Contains("writable"));
  }
  SECTION("other-writable directory above it: refused") {
    chmod((t.root + "/etc").c_str(), 0757);
    Result<std::string> r = ReadAuthorizedKeysFile(t.file, kUser, kUser);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error(), Catch::Contains(t.root + "/etc is group"));
  }
  SECTION("a sticky directory not owned by root: refused") {
    chmod((t.root + "/etc").c_str(), 01777);
    REQUIRE(chown((t.root + "/etc").c_str(), kUser, 0) == 0);
    CHECK_FALSE(ReadAuthorizedKeysFile(t.file, kUser, kUser).ok());
  }
  SECTION("directory owned by another user: refused") {
    REQUIRE(chown((t.root + "/etc/keys").c_str(), kUser + 1, 0) == 0);
    CHECK_FALSE(ReadAuthorizedKeysFile(t.file, kUser, kUser).ok());
  }
  SECTION("a symlink is judged by where it leads") {
    std::filesystem::create_directories(t.root + "/open");
    chmod((t.root + "/open").c_str(), 0777);
    std::filesystem::rename(t.file, t.root + "/open/alice");
    REQUIRE(symlink((t.root + "/open/alice").c_str(), t.file.c_str()) == 0);
    CHECK_FALSE(ReadAuthorizedKeysFile(t.file, kUser, kUser).ok());
  }
  SECTION("a missing file says absent") {
    Result<std::string> r =
        ReadAuthorizedKeysFile(t.root + "/nope", kUser, kUser);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().rfind("absent: ", 0) == 0);
  }
  SECTION("a directory is not a keys file") {
    CHECK_FALSE(
        ReadAuthorizedKeysFile(t.root + "/etc/keys", kUser, kUser).ok());
  }
}

TEST_CASE("daemon keys: a user cannot make root read a file of root's") {
  if (geteuid() != 0) {
    WARN("needs root to give files away; skipped");
    return;
  }
  KeysTree t;
  // A root-only file (as /etc/shadow), and the user's own ~/.ssh.
  REQUIRE(chmod(t.file.c_str(), 0600) == 0);
  const std::string ssh = t.root + "/home/.ssh";
  std::filesystem::create_directories(ssh);
  REQUIRE(chown((t.root + "/home").c_str(), kUser, kUser) == 0);
  REQUIRE(chown(ssh.c_str(), kUser, kUser) == 0);
  REQUIRE(chmod(ssh.c_str(), 0700) == 0);
  const std::string keys = ssh + "/authorized_keys";
  SECTION("her symlink to it is not followed") {
    REQUIRE(symlink(t.file.c_str(), keys.c_str()) == 0);
    REQUIRE(lchown(keys.c_str(), kUser, kUser) == 0);
    Result<std::string> r = ReadAuthorizedKeysFile(keys, kUser, kUser);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error(), Catch::Contains("not followed"));
  }
  SECTION("a hard link to it is opened with her rights, which fail") {
    REQUIRE(link(t.file.c_str(), keys.c_str()) == 0);
    Result<std::string> r = ReadAuthorizedKeysFile(keys, kUser, kUser);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error(), Catch::Contains("Permission denied"));
  }
  SECTION("her own file is read") {
    FILE* f = fopen(keys.c_str(), "w");
    REQUIRE(f != nullptr);
    fputs("ssh-ed25519 AAAA mine\n", f);
    fclose(f);
    REQUIRE(chown(keys.c_str(), kUser, kUser) == 0);
    REQUIRE(chmod(keys.c_str(), 0600) == 0);
    Result<std::string> r = ReadAuthorizedKeysFile(keys, kUser, kUser);
    REQUIRE(r.ok());
    CHECK(*r == "ssh-ed25519 AAAA mine\n");
  }
}

// A fresh ed25519 key and its "type base64" text.
struct TestKey {
  TestKey() {
    REQUIRE(ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) == SSH_OK);
    char* b64 = nullptr;
    REQUIRE(ssh_pki_export_pubkey_base64(key, &b64) == SSH_OK);
    line = std::string(ssh_key_type_to_char(ssh_key_type(key))) + " " + b64;
    ssh_string_free_char(b64);
  }
  ~TestKey() { ssh_key_free(key); }
  TestKey(const TestKey&) = delete;
  TestKey& operator=(const TestKey&) = delete;
  ssh_key key = nullptr;
  std::string line;
};

Address Addr(const char* text) {
  std::optional<Address> a = Address::Parse(text);
  REQUIRE(a.has_value());
  return *a;
}

const Address kLocal = *Address::Parse("127.0.0.1");

// 2030-01-01 00:00:00 UTC, as `date -u -d 2030-01-01 +%s` prints it.
constexpr time_t k2030 = 1893456000;

// Sets TZ for the life of the object; restores the old value after.
class ZoneGuard {
 public:
  explicit ZoneGuard(const char* tz) {
    if (const char* old = getenv("TZ")) old_ = old;
    setenv("TZ", tz, 1);
    tzset();
  }
  ~ZoneGuard() {
    if (old_) {
      setenv("TZ", old_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  ZoneGuard(const ZoneGuard&) = delete;
  ZoneGuard& operator=(const ZoneGuard&) = delete;

 private:
  std::optional<std::string> old_;
};

// Whether the line "`options` <key>" grants `key` to `peer` at `now`.
KeyDecision Decide(const TestKey& key, const std::string& options,
                   const char* peer, time_t now = time(nullptr)) {
  AuthorizedKeys keys;
  std::vector<SkippedLine> skipped =
      keys.Add(options + " " + key.line + " test\n", "/keys");
  INFO(options);
  REQUIRE(skipped.empty());
  return keys.Accepts(key.key, Addr(peer), now);
}

TEST_CASE("daemon keys: lines grant exactly their keys") {
  TestKey listed, second, other;
  std::string text = "# a comment\n\n   " + listed.line + " alice@host\r\n" +
                     "ssh-ed25519 not-base64!\n" + "no-such-type AAAA\n" +
                     "\t" + second.line + "\n" + "ssh-ed25519\n";
  AuthorizedKeys keys;
  std::vector<SkippedLine> skipped = keys.Add(text, "/etc/keys/alice");
  REQUIRE(skipped.size() == 3);
  CHECK(skipped[0].line == 4);
  CHECK_THAT(skipped[0].reason, Catch::Contains("does not parse"));
  CHECK(skipped[1].line == 5);
  // The first word is not a key type, so it is read as an option.
  CHECK(skipped[1].reason == "unknown option at column 1");
  CHECK(skipped[2].line == 7);
  CHECK(keys.size() == 2);

  KeyDecision d = keys.Accepts(listed.key, kLocal, time(nullptr));
  CHECK(d.granted);
  CHECK(d.origin == "/etc/keys/alice");
  CHECK(d.line == 3);
  d = keys.Accepts(second.key, Addr("::1"), time(nullptr));
  CHECK(d);
  CHECK(d.line == 6);
  d = keys.Accepts(other.key, kLocal, time(nullptr));
  CHECK_FALSE(d);
  CHECK(d.origin.empty());
  CHECK_FALSE(keys.Accepts(nullptr, kLocal, time(nullptr)));

  // A second file adds to the first and keeps its own name.
  TestKey third;
  CHECK(
      keys.Add(third.line + "\n", "/home/alice/.ssh/authorized_keys").empty());
  d = keys.Accepts(third.key, kLocal, time(nullptr));
  CHECK(d);
  CHECK(d.origin == "/home/alice/.ssh/authorized_keys");
  CHECK(d.line == 1);
  CHECK(keys.Accepts(listed.key, kLocal, time(nullptr)));
}

TEST_CASE("daemon keys: which option fields grant and which skip the line") {
  struct Row {
    const char* options;
    const char* skip_reason;  // nullptr: the key is granted from 127.0.0.1
  };
  const Row rows[] = {
      {"restrict", nullptr},
      {"RESTRICT", nullptr},
      {"no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding,"
       "no-user-rc,no-touch-required",
       nullptr},
      {"No-Pty,NO-X11-FORWARDING,no-x11-forwarding", nullptr},
      {"restrict,pty,port-forwarding,agent-forwarding,X11-forwarding,user-rc",
       nullptr},
      {"permitopen=\"127.0.0.1:80\",permitlisten=\"127.0.0.1:8080\"", nullptr},
      {"environment=\"X=\\\"a, b\\\" c\",restrict", nullptr},
      {"tunnel=\"0\"", nullptr},
      {"from=\"127.0.0.1\",FROM=\"127.0.0.0/8\"", nullptr},
      {"From=\"localhost,127.0.0.1\"", nullptr},
      {"expiry-time=\"99991231\"", nullptr},
      {"Expiry-Time=\"999912312359Z\"", nullptr},
      {"command=\"/usr/lib/openssh/sftp-server\"", "forced command"},
      {"restrict,command=\"internal-sftp\"", "forced command"},
      {"COMMAND=\"echo \\\"a, b\\\"\",no-pty", "forced command"},
      {"principals=\"alice\"", "certificates"},
      {"cert-authority", "certificates"},
      {"Cert-Authority,restrict", "certificates"},
      {"bogus-option", "unknown option at column 1"},
      {"restrict,verify-required", "unknown option at column 10"},
      {"from=\"127.0.0.1", "unterminated quote"},
      {"command=\"x\\\"", "unterminated quote"},
      {"from=127.0.0.1", "double quotes"},
      {"restrict,,no-pty", "syntax error"},
      {"restrict\"x\"", "syntax error"},
      {"no-pty=\"yes\"", "takes no value"},
      {"from", "needs a value"},
      {"from=\"\"", "empty pattern"},
      {"from=\"127.0.0.1,\"", "empty pattern"},
      {"from=\"!\"", "empty pattern"},
      {"from=\"127.0.0.1/33\"", "from= pattern 1: not an address"},
      {"from=\"127.0.0.1/8\"", "from= pattern 1: not an address"},
      {"from=\"127.0.0.300\"", "from= pattern 1: not an address"},
      {"from=\"127.0.0.*/8\"", "wildcards"},
      {"from=\"127.0.0.1,!*.example.com\"", "DNS"},
      {"expiry-time=\"2030010\"", "expiry-time"},
      {"expiry-time=\"20301301\"", "expiry-time"},
      {"expiry-time=\"20230229\"", "expiry-time"},
      {"expiry-time=\"203001012400\"", "expiry-time"},
      {"expiry-time=\"2030-01-01\"", "expiry-time"},
      {"expiry-time=\"19691231\"", "expiry-time"},
  };
  TestKey key;
  for (const Row& row : rows) {
    INFO(row.options);
    AuthorizedKeys keys;
    std::vector<SkippedLine> skipped = keys.Add(
        "\n" + std::string(row.options) + " " + key.line + " c\n", "/keys");
    if (row.skip_reason == nullptr) {
      CHECK(skipped.empty());
      CHECK(keys.Accepts(key.key, kLocal, time(nullptr)));
    } else {
      REQUIRE(skipped.size() == 1);
      CHECK(skipped[0].line == 2);
      CHECK_THAT(skipped[0].reason, Catch::Contains(row.skip_reason));
      CHECK(keys.size() == 0);
      CHECK_FALSE(keys.Accepts(key.key, kLocal, time(nullptr)));
    }
  }
}

TEST_CASE("daemon keys: a skipped line's reason is fit for a log line") {
  TestKey key;
  AuthorizedKeys keys;
  std::string opt = "from=\"!\x1b[31m" + std::string(200, 'a') + "\"";
  std::vector<SkippedLine> skipped = keys.Add(opt + " " + key.line, "/k");
  REQUIRE(skipped.size() == 1);
  CHECK(skipped[0].reason.size() < 160);
  CHECK(skipped[0].reason.find('\x1b') == std::string::npos);
  // The file's text is never quoted back: root reads the file, and the
  // reason goes to the log.
  CHECK(skipped[0].reason ==
        "from= pattern 1 excludes host names, which needs DNS (not done)");
  // Patterns that look like addresses: still printable (found by the fuzz
  // harness), and not repeated.
  for (std::string pattern :
       {std::string("127.0.0.\xff\x01::1/128"), std::string("10.0.0.1/3\x7f"),
        std::string("::1\x1b[2J/64"), "1." + std::string(600, '1')}) {
    AuthorizedKeys more;
    std::vector<SkippedLine> s =
        more.Add("from=\"" + pattern + "\" " + key.line, "/k");
    INFO(pattern);
    REQUIRE(s.size() == 1);
    CHECK(s[0].reason.size() <= 260);
    for (char c : s[0].reason) {
      CHECK((c >= 0x20 && c < 0x7f));
    }
    CHECK(s[0].reason.find(pattern.substr(0, 5)) == std::string::npos);
  }
}

TEST_CASE("daemon keys: from= admits the addresses its patterns match") {
  TestKey key;
  struct Row {
    const char* from;
    const char* peer;
    bool granted;
  };
  const Row rows[] = {
      {"127.0.0.1", "127.0.0.1", true},
      {"127.0.0.1", "127.0.0.2", false},
      {"127.0.0.0/8", "127.1.2.3", true},
      {"127.0.0.0/8", "::1", false},
      {"127.0.0.0/30", "127.0.0.3", true},
      {"127.0.0.0/30", "127.0.0.4", false},
      {"127.0.0.*", "127.0.0.9", true},
      {"127.0.0.*", "127.0.1.9", false},
      {"127.0.0.?", "127.0.0.7", true},
      {"127.0.0.?", "127.0.0.17", false},
      {"127.*.1", "127.0.0.1", true},
      {"127.*,!127.0.0.2", "127.0.0.1", true},
      {"127.*,!127.0.0.2", "127.0.0.2", false},
      {"!127.0.0.2,127.0.0.0/8", "127.0.0.2", false},
      {"!127.0.0.0/30,*", "127.0.0.3", false},
      {"!127.0.0.0/30,*", "127.0.0.4", true},
      {"!127.0.0.?", "127.0.0.5", false},  // a lone negation admits nobody
      {"127.0.0.5,!::1", "::1", false},
      {"::1", "::1", true},
      {"::1", "127.0.0.1", false},
      {"::1/128", "::1", true},
      {"[::1]", "::1", true},
      {"::*", "::1", true},
      {"::?", "::1", true},
      {"::*", "127.0.0.1", false},
      // An IPv4-mapped peer is its IPv4 address, for blocks and for text.
      {"127.0.0.1", "::ffff:127.0.0.1", true},
      {"127.0.0.0/24", "::ffff:127.0.0.9", true},
      {"127.0.0.*", "::ffff:127.0.0.9", true},
      {"::ffff:127.0.0.1", "127.0.0.1", true},
      // No DNS: a host name never matches.
      {"localhost", "127.0.0.1", false},
      {"localhost,127.0.0.1", "127.0.0.1", true},
      {"*.localdomain", "127.0.0.1", false},
  };
  for (const Row& row : rows) {
    INFO(row.from << " from " << row.peer);
    KeyDecision d =
        Decide(key, "from=\"" + std::string(row.from) + "\"", row.peer);
    CHECK(d.granted == row.granted);
    CHECK(d.line == 1);
    CHECK(d.refusal.empty() == row.granted);
  }
  KeyDecision d = Decide(key, "from=\"127.*,!127.0.0.2\"", "127.0.0.2");
  CHECK_THAT(d.refusal, Catch::Contains("127.0.0.2 is excluded"));
  d = Decide(key, "from=\"127.0.0.1\"", "127.0.0.2");
  CHECK_THAT(d.refusal, Catch::Contains("127.0.0.2 is not in"));

  // Several from= options must all admit the peer.
  const std::string both = "from=\"127.0.0.0/8\",from=\"127.0.0.1,::1\"";
  CHECK(Decide(key, both, "127.0.0.1"));
  CHECK_FALSE(Decide(key, both, "127.0.0.2"));
  CHECK_FALSE(Decide(key, both, "::1"));
}

TEST_CASE("daemon keys: expiry-time grants up to its second, then refuses") {
  TestKey key;
  const std::string day = "expiry-time=\"20300101Z\"";
  CHECK(Decide(key, day, "127.0.0.1", k2030 - 86400));
  CHECK(Decide(key, day, "127.0.0.1", k2030));
  KeyDecision d = Decide(key, day, "127.0.0.1", k2030 + 1);
  CHECK_FALSE(d);
  CHECK_THAT(d.refusal, Catch::Contains("expired at 2030-01-01 00:00:00 UTC"));

  const time_t minute = k2030 + 86400 + 12 * 3600 + 30 * 60;
  CHECK(Decide(key, "expiry-time=\"203001021230Z\"", "::1", minute));
  CHECK_FALSE(Decide(key, "expiry-time=\"203001021230Z\"", "::1", minute + 1));
  CHECK(Decide(key, "expiry-time=\"20300102123045z\"", "::1", minute + 45));
  CHECK_FALSE(
      Decide(key, "expiry-time=\"20300102123045Z\"", "::1", minute + 46));
  CHECK(Decide(key, "expiry-time=\"20280229Z\"", "::1", k2030 - 672 * 86400));

  // Past and future against the clock.
  CHECK_FALSE(Decide(key, "expiry-time=\"19990101\"", "127.0.0.1"));
  CHECK(Decide(key, "expiry-time=\"99991231\"", "127.0.0.1"));

  // Several: the earliest counts, whatever the order.
  for (const char* two :
       {"expiry-time=\"20300102Z\",restrict,expiry-time=\"20300101Z\"",
        "expiry-time=\"20300101Z\",restrict,expiry-time=\"20300102Z\""}) {
    INFO(two);
    CHECK(Decide(key, two, "127.0.0.1", k2030));
    CHECK_FALSE(Decide(key, two, "127.0.0.1", k2030 + 1));
  }

  // Expiry and from= together: both must allow.
  const std::string mixed = "from=\"127.0.0.1\",expiry-time=\"20300101Z\"";
  CHECK(Decide(key, mixed, "127.0.0.1", k2030));
  CHECK_FALSE(Decide(key, mixed, "127.0.0.2", k2030));
  CHECK_FALSE(Decide(key, mixed, "127.0.0.1", k2030 + 1));
}

TEST_CASE("daemon keys: expiry-time without Z is the server's local time") {
  TestKey key;
  // Three hours east of UTC: local midnight is 21:00 UTC the day before.
  ZoneGuard zone("XYZ-3");
  const time_t local_midnight = k2030 - 3 * 3600;
  CHECK(Decide(key, "expiry-time=\"20300101\"", "::1", local_midnight));
  CHECK_FALSE(
      Decide(key, "expiry-time=\"20300101\"", "::1", local_midnight + 1));
  CHECK(Decide(key, "expiry-time=\"20300101Z\"", "::1", k2030));
}

TEST_CASE("daemon keys: the first line whose options allow the key grants") {
  TestKey key, other;
  // Line 2 is skipped (a forced command); 1, 3 and 4 list the same key.
  const std::string text = "from=\"127.0.0.2\" " + key.line + "\n" +
                           "command=\"true\" " + other.line + "\n" +
                           "from=\"127.0.0.1\" " + key.line + "\n" + key.line +
                           "\n";
  AuthorizedKeys keys;
  std::vector<SkippedLine> skipped = keys.Add(text, "/keys");
  REQUIRE(skipped.size() == 1);
  CHECK(skipped[0].line == 2);
  CHECK(keys.size() == 3);
  CHECK(keys.Accepts(key.key, Addr("127.0.0.2"), time(nullptr)).line == 1);
  CHECK(keys.Accepts(key.key, Addr("127.0.0.1"), time(nullptr)).line == 3);
  CHECK(keys.Accepts(key.key, Addr("127.0.0.3"), time(nullptr)).line == 4);
  // A key listed only under a refused option grants nothing.
  CHECK_FALSE(keys.Accepts(other.key, Addr("127.0.0.1"), time(nullptr)));

  AuthorizedKeys only_restricted;
  REQUIRE(only_restricted
              .Add("from=\"127.0.0.2\" " + key.line + "\n" +
                       "from=\"127.0.0.3\" " + key.line,
                   "/keys")
              .empty());
  KeyDecision d =
      only_restricted.Accepts(key.key, Addr("127.0.0.1"), time(nullptr));
  CHECK_FALSE(d);
  CHECK(d.line == 2);
  CHECK_THAT(d.refusal, Catch::Contains("not in its from= list"));
}

TEST_CASE("daemon keys: fingerprints as ssh-keygen -l prints them") {
  // SHA-256 of "abc": base64 ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=
  const uint8_t abc[] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
                         0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                         0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
                         0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
  CHECK(Sha256Fingerprint(abc) ==
        "SHA256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0");
  CHECK(Sha256Fingerprint({}) == "SHA256:");
  const uint8_t one[] = {0xff};
  CHECK(Sha256Fingerprint(one) == "SHA256:/w");
  const uint8_t two[] = {0xff, 0xff};
  CHECK(Sha256Fingerprint(two) == "SHA256://8");

  CHECK(SshdKeyTypeName("ssh-ed25519") == "ED25519");
  CHECK(SshdKeyTypeName("ssh-rsa") == "RSA");
  CHECK(SshdKeyTypeName("ecdsa-sha2-nistp384") == "ECDSA");
  CHECK(SshdKeyTypeName("sk-ssh-ed25519@openssh.com") == "ED25519-SK");
  CHECK(SshdKeyTypeName("sk-ecdsa-sha2-nistp256@openssh.com") == "ECDSA-SK");
  CHECK(SshdKeyTypeName("new-type") == "NEW-TYPE");

  // Keys and what `ssh-keygen -lf` printed for them.
  struct Case {
    const char* type;
    const char* base64;
    const char* described;
  };
  const Case cases[] = {
      {"ssh-ed25519",
       "AAAAC3NzaC1lZDI1NTE5AAAAIGRvJRQAn2njIxqWv74DtSusGYETOOEFRc2U0j4/CmoU",
       "ED25519 SHA256:Hq+TeW9pq3yJjIjxo9dm/A2cPshby3SYSdyNLbXpE0Q"},
      {"ecdsa-sha2-nistp256",
       "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBJWZP9UxDpWkQnwRvk"
       "XnGXOSHfMBUg7V7+LQ60ZvJWgc78R/F41fggKtKbeBmaVKKvYs1OiXXBqRi3EOA9NYpfg=",
       "ECDSA SHA256:oZa4j5Cqrgph1nIbOT+YVvYFvxyTX0cSg+DXRHiuxpM"},
  };
  for (const Case& c : cases) {
    ssh_key key = nullptr;
    REQUIRE(ssh_pki_import_pubkey_base64(
                c.base64, ssh_key_type_from_name(c.type), &key) == SSH_OK);
    CHECK(DescribeKey(key) == c.described);
    ssh_key_free(key);
  }
  CHECK(DescribeKey(nullptr).empty());
}

}  // namespace
}  // namespace sftpd

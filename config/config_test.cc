#include "config/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/testing.h"

namespace sftpd {
namespace {

using testing::ReadExampleConfig;
using testing::ReplaceAll;
using testing::TempDir;

std::string AllErrors(const LoadResult& r) {
  std::string out;
  for (const ConfigError& e : r.errors) out += e.ToString() + "\n";
  return out;
}

const Config& Ok(const LoadResult& r) {
  INFO(AllErrors(r));
  REQUIRE(r.errors.empty());
  REQUIRE(r.config.has_value());
  return *r.config;
}

// The one error of a config expected to have exactly one.
ConfigError OneError(const LoadResult& r) {
  INFO(AllErrors(r));
  REQUIRE_FALSE(r.config.has_value());
  REQUIRE(r.errors.size() == 1);
  return r.errors[0];
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// `text` with its commented-out "# KEY = [...]" settings (one or more lines
// each) switched on, for each of `keys`; every key must be there.
std::string Uncommented(const std::string& text,
                        const std::vector<std::string>& keys) {
  std::istringstream in(text);
  std::string out;
  std::string line;
  size_t found = 0;
  bool inside = false;
  while (std::getline(in, line)) {
    bool starts = false;
    for (const std::string& k : keys) {
      starts = starts || line.rfind("# " + k + " = [", 0) == 0;
    }
    if (starts) ++found;
    if (starts || inside) {
      REQUIRE(line.rfind("# ", 0) == 0);
      line = line.substr(2);
      inside = line.find(']') == std::string::npos;
    }
    out += line + "\n";
  }
  REQUIRE(found == keys.size());
  return out;
}

TEST_CASE("config: the example sftpd.toml loads and documents the defaults") {
  TempDir dir;
  const std::string text =
      ReplaceAll(ReadExampleConfig(), "/srv/sftpd", dir.path());

  // Nothing created yet: every export's fixed part is missing.
  const LoadResult missing = ParseConfig(text, "sftpd.toml");
  CHECK(missing.errors.size() == 3);

  dir.MakeDir("users");
  dir.MakeDir("shared");
  dir.MakeDir("archive");
  const LoadResult r = ParseConfig(text, "sftpd.toml");
  const Config& c = Ok(r);
  CHECK(c.source == "sftpd.toml");
  CHECK(c.server.listen == ServerSection{}.listen);
  CHECK(c.server.host_keys == ServerSection{}.host_keys);
  CHECK(c.auth.methods == AuthSection{}.methods);
  CHECK(c.auth.authorized_keys == AuthSection{}.authorized_keys);
  CHECK(c.server.max_startups == ServerSection{}.max_startups);
  CHECK(c.server.max_connections == ServerSection{}.max_connections);
  CHECK(c.server.max_connections_per_address ==
        ServerSection{}.max_connections_per_address);
  CHECK(c.server.max_sessions_per_user ==
        ServerSection{}.max_sessions_per_user);
  CHECK(c.auth.login_grace_time == AuthSection{}.login_grace_time);
  CHECK(c.auth.max_tries == AuthSection{}.max_tries);
  CHECK(c.audit.log == "/var/log/sftpd/audit.jsonl");
  CHECK(c.audit.syslog);
  CHECK(c.audit.on_failure == AuditFailure::kContinue);

  REQUIRE(c.exports.size() == 3);
  CHECK(c.exports[0].name == "home");
  CHECK(c.exports[0].path == dir.path() + "/users/%u");
  CHECK(c.exports[0].owner_only);
  CHECK(c.exports[0].access == Access::kReadWrite);
  CHECK(c.exports[0].umask == 077);
  CHECK(c.exports[1].name == "shared");
  CHECK_FALSE(c.exports[1].owner_only);
  CHECK(c.exports[1].umask == 002);
  CHECK(c.exports[1].atomic_uploads);
  CHECK_FALSE(c.exports[0].atomic_uploads);
  CHECK(c.exports[2].name == "archive");
  CHECK(c.exports[2].access == Access::kReadOnly);
  CHECK(c.exports[2].umask == 022);
  CHECK(c.FindExport("shared") == &c.exports[1]);
  CHECK(c.FindExport("nope") == nullptr);

  REQUIRE(c.users.size() == 1);
  CHECK(c.users[0].name == "alice");
  CHECK(c.users[0].exports ==
        std::vector<std::string>{"home", "shared", "archive"});
  REQUIRE(c.users[0].allow_from.size() == 2);
  CHECK(c.users[0].allow_from[1].ToString() == "2001:db8::/32");
  REQUIRE(c.groups.size() == 1);
  CHECK(c.groups[0].name == "staff");
}

TEST_CASE("config: an empty file gets every default") {
  const LoadResult r = ParseConfig("", "empty.toml");
  const Config& c = Ok(r);
  CHECK(c.server.listen == std::vector<std::string>{"0.0.0.0:22", "[::]:22"});
  CHECK(c.auth.methods == std::vector<std::string>{"publickey", "password"});
  CHECK(c.audit.log.empty());
  CHECK(c.audit.syslog);
  CHECK(c.audit.on_failure == AuditFailure::kContinue);
  CHECK(c.exports.empty());
  CHECK(c.users.empty());
  CHECK(c.groups.empty());
}

TEST_CASE("config: the example's commented-out algorithm lists are valid") {
  TempDir dir;
  dir.MakeDir("users");
  dir.MakeDir("shared");
  dir.MakeDir("archive");
  const std::string text =
      Uncommented(ReplaceAll(ReadExampleConfig(), "/srv/sftpd", dir.path()),
                  {"kex", "ciphers", "macs", "host_key_algorithms"});
  INFO(text);
  const LoadResult r = ParseConfig(text, "sftpd.toml");
  const Config& c = Ok(r);
  // Set explicitly now, and still the defaults the comments promise.
  CHECK(c.server.kex == ServerSection{}.kex);
  CHECK(c.server.ciphers == ServerSection{}.ciphers);
  CHECK(c.server.macs == ServerSection{}.macs);
  CHECK(c.server.host_key_algorithms == ServerSection{}.host_key_algorithms);
  // An example line that is not valid TOML once uncommented fails here.
  CHECK_FALSE(
      ParseConfig(ReplaceAll(text, "kex = [", "kex = [[["), "x").config);
}

TEST_CASE("config: limits and algorithms take their defaults when absent") {
  const LoadResult r = ParseConfig("[server]\n[auth]\n", "empty.toml");
  const Config& c = Ok(r);
  CHECK(c.server.max_startups == 10);
  CHECK(c.server.max_startups_begin == 10);
  CHECK(c.server.max_startups_rate == 100);
  CHECK(c.server.max_startups_per_address == 3);
  CHECK(c.server.max_connections == 256);
  CHECK(c.server.max_connections_per_address == 16);
  CHECK(c.server.max_sessions_per_user == 16);
  CHECK(c.server.max_channels_per_connection == 10);
  CHECK(c.auth.login_grace_time == 60);
  CHECK(c.auth.max_tries == 6);
  CHECK(c.server.kex ==
        std::vector<std::string>{"curve25519-sha256",
                                 "curve25519-sha256@libssh.org"});
  CHECK(c.server.ciphers ==
        std::vector<std::string>{"chacha20-poly1305@openssh.com",
                                 "aes256-gcm@openssh.com",
                                 "aes128-gcm@openssh.com", "aes256-ctr",
                                 "aes192-ctr", "aes128-ctr"});
  CHECK(c.server.macs ==
        std::vector<std::string>{"hmac-sha2-256-etm@openssh.com",
                                 "hmac-sha2-512-etm@openssh.com",
                                 "hmac-sha2-256", "hmac-sha2-512"});
  CHECK(c.server.host_key_algorithms ==
        std::vector<std::string>{"ssh-ed25519", "ecdsa-sha2-nistp521",
                                 "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp256",
                                 "rsa-sha2-512", "rsa-sha2-256"});
  // The defaults are the allowed lists (kex: without the NIST curves).
  CHECK(c.server.ciphers.size() == kAllowedCiphers.size());
  CHECK(c.server.macs.size() == kAllowedMacs.size());
  CHECK(c.server.host_key_algorithms.size() ==
        kAllowedHostKeyAlgorithms.size());
  CHECK(kAllowedKex.size() == 5);
}

TEST_CASE("config: limits and algorithm lists are read as written") {
  const LoadResult r = ParseConfig(
      "[server]\n"
      "max_startups = 3\n"
      "max_connections = 100000\n"
      "max_connections_per_address = 1\n"
      "max_sessions_per_user = 2\n"
      "max_channels_per_connection = 100\n"
      "idle_timeout = 604800\n"
      "kex = [\"ecdh-sha2-nistp521\", \"curve25519-sha256\", "
      "\"ecdh-sha2-nistp256\", \"ecdh-sha2-nistp384\", "
      "\"curve25519-sha256@libssh.org\"]\n"
      "ciphers = [\"aes128-ctr\"]\n"
      "macs = [\"hmac-sha2-512\", \"hmac-sha2-256-etm@openssh.com\"]\n"
      "host_key_algorithms = [\"rsa-sha2-256\", \"ssh-ed25519\"]\n"
      "[auth]\n"
      "login_grace_time = 3600\n"
      "max_tries = 1\n",
      "set.toml");
  const Config& c = Ok(r);
  CHECK(c.server.max_startups == 3);
  CHECK(c.server.max_connections == 100000);
  CHECK(c.server.max_connections_per_address == 1);
  CHECK(c.server.max_sessions_per_user == 2);
  CHECK(c.server.max_channels_per_connection == 100);
  CHECK(c.server.idle_timeout == 604800);
  CHECK(c.server.kex ==
        std::vector<std::string>{"ecdh-sha2-nistp521", "curve25519-sha256",
                                 "ecdh-sha2-nistp256", "ecdh-sha2-nistp384",
                                 "curve25519-sha256@libssh.org"});
  CHECK(c.server.ciphers == std::vector<std::string>{"aes128-ctr"});
  CHECK(c.server.macs == std::vector<std::string>{
                             "hmac-sha2-512", "hmac-sha2-256-etm@openssh.com"});
  CHECK(c.server.host_key_algorithms ==
        std::vector<std::string>{"rsa-sha2-256", "ssh-ed25519"});
  CHECK(c.auth.login_grace_time == 3600);
  CHECK(c.auth.max_tries == 1);
  // Untouched keys keep their defaults.
  CHECK(Ok(ParseConfig("[server]\nmax_startups = 5\n", "s.toml"))
            .server.max_connections == 256);
}

TEST_CASE("config: max_startups is a cap or OpenSSH's start:rate:full") {
  const ServerSection plain =
      Ok(ParseConfig("[server]\nmax_startups = 20\n", "s.toml")).server;
  CHECK(plain.max_startups == 20);
  CHECK(plain.max_startups_begin == 20);
  CHECK(plain.max_startups_rate == 100);
  const ServerSection early =
      Ok(ParseConfig("[server]\nmax_startups = \"10:30:100\"\n"
                     "max_startups_per_address = 4\n",
                     "s.toml"))
          .server;
  CHECK(early.max_startups_begin == 10);
  CHECK(early.max_startups_rate == 30);
  CHECK(early.max_startups == 100);
  CHECK(early.max_startups_per_address == 4);
  const ServerSection edge =
      Ok(ParseConfig("[server]\nmax_startups = \"1:100:1\"\n", "s.toml"))
          .server;
  CHECK(edge.max_startups_begin == 1);
  CHECK(edge.max_startups == 1);
  // A bad value names the file, line, column and key, and keeps the default.
  const LoadResult bad = ParseConfig(
      "[server]\n"
      "max_startups = \"30:10:20\"\n",
      "b.toml");
  REQUIRE(bad.errors.size() == 1);
  CHECK(bad.errors[0].ToString() ==
        "b.toml:2:16: server.max_startups: start must be 1..full (20), got 30");
}

TEST_CASE("config: integer limits must be TOML integers in range") {
  const LoadResult r = ParseConfig(
      "[server]\n"                              // 1
      "max_startups = 0\n"                      // 2
      "max_connections = 100001\n"              // 3
      "max_connections_per_address = \"16\"\n"  // 4
      "max_sessions_per_user = 16.0\n"          // 5
      "[auth]\n"                                // 6
      "login_grace_time = 3601\n"               // 7
      "max_tries = true\n",                     // 8
      "ints.toml");
  INFO(AllErrors(r));
  REQUIRE_FALSE(r.config.has_value());
  REQUIRE(r.errors.size() == 6);
  CHECK(r.errors[0].ToString() ==
        "ints.toml:2:16: server.max_startups: must be 1..10000, got 0");
  CHECK(r.errors[1].ToString() ==
        "ints.toml:3:19: server.max_connections: must be 1..100000, got "
        "100001");
  CHECK(r.errors[2].ToString() ==
        "ints.toml:4:31: server.max_connections_per_address: expected an "
        "integer, got a string");
  CHECK(r.errors[3].ToString() ==
        "ints.toml:5:25: server.max_sessions_per_user: expected an integer, "
        "got a float");
  CHECK(r.errors[4].ToString() ==
        "ints.toml:7:20: auth.login_grace_time: must be 1..3600, got 3601");
  CHECK(r.errors[5].ToString() ==
        "ints.toml:8:13: auth.max_tries: expected an integer, got a boolean");

  // Each bound is inclusive; one past it, or far past it, is refused.
  struct Range {
    std::string section;
    std::string key;
    int64_t min;
    int64_t max;
  };
  for (const Range& k :
       std::vector<Range>{{"server", "max_startups", 1, 10000},
                          {"server", "max_connections", 1, 100000},
                          {"server", "max_connections_per_address", 1, 100000},
                          {"server", "max_sessions_per_user", 1, 100000},
                          {"server", "max_channels_per_connection", 1, 100},
                          {"server", "idle_timeout", 0, 604800},
                          {"auth", "login_grace_time", 1, 3600},
                          {"auth", "max_tries", 1, 100},
                          {"defender", "threshold", 1, 10000},
                          {"defender", "observation_time", 1, 86400},
                          {"defender", "ban_time", 1, 604800},
                          {"defender", "score_failed_login", 0, 10000},
                          {"defender", "score_invalid_user", 0, 10000},
                          {"defender", "score_no_auth", 0, 10000},
                          {"defender", "score_over_limit", 0, 10000}}) {
    const auto load = [&](int64_t v) {
      return ParseConfig(
          "[" + k.section + "]\n" + k.key + " = " + std::to_string(v) + "\n",
          "r.toml");
    };
    INFO(k.key);
    Ok(load(k.min));
    Ok(load(k.max));
    const std::string range =
        std::to_string(k.min) + ".." + std::to_string(k.max);
    for (int64_t bad : {k.min - 1, k.max + 1, int64_t{-1}, int64_t{1} << 40}) {
      INFO(bad);
      const ConfigError e = OneError(load(bad));
      CHECK(e.key == k.section + "." + k.key);
      CHECK(e.line == 2);
      CHECK(e.message == "must be " + range + ", got " + std::to_string(bad));
    }
  }
}

TEST_CASE("config: algorithm lists refuse unknown, weak, repeated or none") {
  const LoadResult r = ParseConfig(
      "[server]\n"                                       // 1
      "ciphers = [\"aes256-ctr\", \"aes128-cbc\"]\n"     // 2
      "macs = [\"hmac-sha2-256\", \"hmac-sha2-256\"]\n"  // 3
      "kex = []\n"                                       // 4
      "host_key_algorithms = \"ssh-ed25519\"\n",         // 5
      "algos.toml");
  INFO(AllErrors(r));
  REQUIRE_FALSE(r.config.has_value());
  REQUIRE(r.errors.size() == 4);
  CHECK(r.errors[0].file == "algos.toml");
  CHECK(r.errors[0].key == "server.ciphers[1]");
  CHECK(r.errors[0].line == 2);
  CHECK(r.errors[0].column == 26);
  CHECK(Contains(r.errors[0].message,
                 "'aes128-cbc' is not allowed (allowed: "
                 "chacha20-poly1305@openssh.com, aes256-gcm@openssh.com, "
                 "aes128-gcm@openssh.com, aes256-ctr, aes192-ctr, "
                 "aes128-ctr)"));
  CHECK(r.errors[1].key == "server.macs[1]");
  CHECK(r.errors[1].line == 3);
  CHECK(r.errors[1].column == 26);
  CHECK(r.errors[1].message ==
        "'hmac-sha2-256' is listed twice (also server.macs[0])");
  CHECK(r.errors[2].key == "server.kex");
  CHECK(r.errors[2].line == 4);
  CHECK(r.errors[2].column == 7);
  CHECK(Contains(r.errors[2].message, "at least one of: curve25519-sha256, "));
  CHECK(r.errors[3].key == "server.host_key_algorithms");
  CHECK(r.errors[3].line == 5);
  CHECK(r.errors[3].message == "expected an array of strings, got a string");

  // Weak or foreign names, each in the list it would belong to; a name from
  // another list does not pass either.
  struct Bad {
    std::string key;
    std::string good;
    std::string name;
  };
  for (const Bad& b : std::vector<Bad>{
           {"kex", "curve25519-sha256", "diffie-hellman-group14-sha1"},
           {"kex", "curve25519-sha256", "diffie-hellman-group1-sha1"},
           {"kex", "curve25519-sha256", "diffie-hellman-group-exchange-sha1"},
           {"kex", "curve25519-sha256", "diffie-hellman-group14-sha256"},
           {"ciphers", "aes256-ctr", "aes128-cbc"},
           {"ciphers", "aes256-ctr", "3des-cbc"},
           {"ciphers", "aes256-ctr", "arcfour"},
           {"ciphers", "aes256-ctr", "none"},
           {"ciphers", "aes256-ctr", "hmac-sha2-256"},
           {"macs", "hmac-sha2-256", "hmac-sha1"},
           {"macs", "hmac-sha2-256", "hmac-md5"},
           {"macs", "hmac-sha2-256", "hmac-sha1-etm@openssh.com"},
           {"macs", "hmac-sha2-256", "umac-64@openssh.com"},
           {"macs", "hmac-sha2-256", "aes256-ctr"},
           {"host_key_algorithms", "ssh-ed25519", "ssh-rsa"},
           {"host_key_algorithms", "ssh-ed25519", "ssh-dss"},
           {"host_key_algorithms", "ssh-ed25519", "SSH-ED25519"},
           {"host_key_algorithms", "ssh-ed25519", ""}}) {
    INFO(b.key + " " + b.name);
    const ConfigError e = OneError(ParseConfig(
        "[server]\n" + b.key + " = [\"" + b.good + "\", \"" + b.name + "\"]\n",
        "w.toml"));
    CHECK(e.key == "server." + b.key + "[1]");
    CHECK(e.line == 2);
    CHECK(Contains(e.message, "'" + b.name + "' is not allowed (allowed: "));
  }

  // A near miss gets a hint.
  CHECK(Contains(OneError(ParseConfig("[server]\nciphers = "
                                      "[\"aes256-gcm@openssh.co\"]\n",
                                      "h.toml"))
                     .message,
                 "did you mean 'aes256-gcm@openssh.com'?"));
}

TEST_CASE("config: exports, users and groups keep file order") {
  TempDir dir;
  const std::string text = "[exports.zeta]\npath = \"" + dir.path() +
                           "\"\n[exports.alpha]\npath = \"" + dir.path() +
                           "\"\n[users.zed]\nexports = [\"alpha\"]\n"
                           "[users.amy]\nexports = [\"zeta\"]\n";
  const LoadResult r = ParseConfig(text, "order.toml");
  const Config& c = Ok(r);
  REQUIRE(c.exports.size() == 2);
  CHECK(c.exports[0].name == "zeta");
  CHECK(c.exports[0].line == 1);
  CHECK(c.exports[1].name == "alpha");
  CHECK(c.exports[1].line == 3);
  REQUIRE(c.users.size() == 2);
  CHECK(c.users[0].name == "zed");
  CHECK(c.users[1].name == "amy");
  CHECK(c.users[1].line == 7);
}

TEST_CASE("config: a TOML syntax error names file, line and column") {
  const ConfigError e = OneError(
      ParseConfig("[server]\nlisten = [\"0.0.0.0:22\"\n\n", "bad.toml"));
  CHECK(e.file == "bad.toml");
  CHECK(e.line >= 2);
  CHECK(e.column >= 1);
  CHECK_FALSE(e.message.empty());

  const ConfigError z =
      OneError(ParseConfig("[exports.x]\numask = 022\n", "zero.toml"));
  CHECK(z.line == 2);
  CHECK(z.column >= 9);  // toml++ points into the number
  CHECK(Contains(z.message, "leading zero"));
}

TEST_CASE("config: unknown keys at every level, with a hint") {
  TempDir dir;
  const std::string text =
      "[export.x]\n"      // 1
      "path = \"/\"\n"    // 2
      "[server]\n"        // 3
      "hostkeys = []\n"   // 4
      "[exports.home]\n"  // 5
      "path = \"" +
      dir.path() +
      "\"\n"                    // 6
      "acces = \"ro\"\n"        // 7
      "[users.bob]\n"           // 8
      "exports = [\"home\"]\n"  // 9
      "  zzzzzz = 1\n";         // 10
  const LoadResult r = ParseConfig(text, "keys.toml");
  INFO(AllErrors(r));
  REQUIRE_FALSE(r.config.has_value());
  REQUIRE(r.errors.size() == 4);
  CHECK(r.errors[0].key == "export");
  CHECK(r.errors[0].line == 1);
  CHECK(r.errors[0].column == 2);
  CHECK(r.errors[0].message == "unknown key; did you mean 'exports'?");
  CHECK(r.errors[1].key == "server.hostkeys");
  CHECK(r.errors[1].line == 4);
  CHECK(r.errors[1].column == 1);
  CHECK(Contains(r.errors[1].message, "did you mean 'host_keys'?"));
  CHECK(r.errors[2].key == "exports.home.acces");
  CHECK(r.errors[2].line == 7);
  CHECK(r.errors[2].column == 1);
  CHECK(r.errors[2].ToString() ==
        "keys.toml:7:1: exports.home.acces: unknown key; did you mean "
        "'access'?");
  CHECK(r.errors[3].key == "users.bob.zzzzzz");
  CHECK(r.errors[3].line == 10);
  CHECK(r.errors[3].column == 3);
  CHECK(r.errors[3].message == "unknown key");  // nothing close: no hint
}

TEST_CASE("config: wrong types say what was expected and what was found") {
  const LoadResult r = ParseConfig(
      "[server]\n"                 // 1
      "listen = \"0.0.0.0:22\"\n"  // 2
      "host_keys = [\"/k\", 7]\n"  // 3
      "[audit]\n"                  // 4
      "syslog = 1\n"               // 5
      "[exports.e]\n"              // 6
      "path = 5\n"                 // 7
      "owner_only = \"yes\"\n"     // 8
      "[users]\n"                  // 9
      "bob = 3\n",                 // 10
      "types.toml");
  INFO(AllErrors(r));
  REQUIRE(r.errors.size() == 6);
  CHECK(r.errors[0].ToString() ==
        "types.toml:2:10: server.listen: expected an array of strings, got a "
        "string");
  CHECK(r.errors[1].key == "server.host_keys[1]");
  CHECK(r.errors[1].line == 3);
  CHECK(r.errors[1].column == 20);
  CHECK(r.errors[1].message == "expected a string, got an integer");
  CHECK(r.errors[2].key == "audit.syslog");
  CHECK(r.errors[2].message == "expected a boolean, got an integer");
  CHECK(r.errors[3].key == "exports.e.path");
  CHECK(r.errors[3].line == 7);
  CHECK(r.errors[3].column == 8);
  CHECK(r.errors[4].key == "exports.e.owner_only");
  CHECK(r.errors[4].message == "expected a boolean, got a string");
  CHECK(r.errors[5].key == "users.bob");
  CHECK(r.errors[5].message == "expected a table, got an integer");

  const ConfigError top = OneError(ParseConfig("server = 1\n", "t.toml"));
  CHECK(top.key == "server");
  CHECK(top.message == "expected a table, got an integer");
}

TEST_CASE("config: [audit] on_failure and atomic_uploads") {
  TempDir dir;
  const auto load = [&](const std::string& audit, const std::string& atomic) {
    return ParseConfig("[audit]\n" + audit + "\n[exports.e]\npath = \"" +
                           dir.path() + "\"\n" + atomic + "\n",
                       "f.toml");
  };
  const LoadResult a = load("on_failure = \"refuse\"", "atomic_uploads = true");
  const Config& refuse = Ok(a);
  CHECK(refuse.audit.on_failure == AuditFailure::kRefuse);
  CHECK(refuse.exports[0].atomic_uploads);
  CHECK(Contains(Describe(refuse), "(rw, atomic_uploads, umask 022)"));
  const LoadResult b = load("on_failure = \"continue\"", "");
  const Config& go_on = Ok(b);
  CHECK(go_on.audit.on_failure == AuditFailure::kContinue);
  CHECK_FALSE(go_on.exports[0].atomic_uploads);

  const ConfigError bad = OneError(load("on_failure = \"ignore\"", ""));
  CHECK(bad.ToString() ==
        "f.toml:2:14: audit.on_failure: on_failure must be \"continue\" or "
        "\"refuse\", got \"ignore\"");
  const ConfigError type = OneError(load("", "atomic_uploads = 1"));
  CHECK(type.key == "exports.e.atomic_uploads");
  CHECK(type.line == 5);
  CHECK(type.message == "expected a boolean, got an integer");
}

TEST_CASE("config: an export's group makes a group share") {
  TempDir dir;
  const auto load = [&](const std::string& group) {
    return ParseConfig(
        "[exports.e]\npath = \"" + dir.path() + "\"\n" + group + "\n",
        "f.toml");
  };
  const LoadResult a = load("group = \"root\"");
  const Config& shared = Ok(a);
  CHECK(shared.exports[0].group == "root");
  CHECK(shared.exports[0].group_id == 0);
  const LoadResult b = load("");
  const Config& plain = Ok(b);
  CHECK(plain.exports[0].group.empty());
  CHECK(plain.exports[0].group_id == static_cast<gid_t>(-1));

  const ConfigError unknown = OneError(load("group = \"sftpd-no-such-group\""));
  CHECK(unknown.ToString() ==
        "f.toml:3:9: exports.e.group: no Unix group \"sftpd-no-such-group\" "
        "(getent group); a group share needs one its users are members of");
  const LoadResult c = load("group = \"\"");  // the default: none
  CHECK(Ok(c).exports[0].group_id == static_cast<gid_t>(-1));
  const ConfigError type = OneError(load("group = 0"));
  CHECK(type.key == "exports.e.group");
  CHECK(type.line == 3);
  CHECK(type.message == "expected a string, got an integer");
  const std::vector<std::string> keys = ConfigKeys();
  CHECK(std::count(keys.begin(), keys.end(), "exports.NAME.group") == 1);
}

TEST_CASE("config: paths must be absolute and free of '.' and '..'") {
  const LoadResult r = ParseConfig(
      "[server]\n"
      "host_keys = [\"keys/host\"]\n"  // 2
      "[audit]\n"
      "log = \"audit.jsonl\"\n"  // 4
      "[auth]\n"
      "authorized_keys = [\"%u/keys\"]\n"  // 6
      "[exports.a]\n"
      "path = \"srv/a\"\n"  // 8
      "[exports.b]\n"
      "path = \"/tmp/../etc\"\n"  // 10
      "[exports.c]\n"
      "path = \"/tmp/%x\"\n",  // 12
      "rel.toml");
  INFO(AllErrors(r));
  REQUIRE(r.errors.size() == 6);
  CHECK(r.errors[0].key == "server.host_keys[0]");
  CHECK(r.errors[0].line == 2);
  CHECK(Contains(r.errors[0].message, "not an absolute path"));
  CHECK(r.errors[1].key == "audit.log");
  CHECK(Contains(r.errors[1].message, "not an absolute path"));
  CHECK(r.errors[2].key == "auth.authorized_keys[0]");
  CHECK(r.errors[3].key == "exports.a.path");
  CHECK(r.errors[3].line == 8);
  CHECK(r.errors[3].column == 8);
  CHECK(Contains(r.errors[3].message, "'srv/a' is not an absolute path"));
  CHECK(r.errors[4].key == "exports.b.path");
  CHECK(Contains(r.errors[4].message, "'..'"));
  CHECK(r.errors[5].key == "exports.c.path");
  CHECK(Contains(r.errors[5].message, "unknown escape"));

  // %h may start a path: the home is absolute, and known only at login.
  Ok(ParseConfig("[exports.h]\npath = \"%h/files\"\n", "home.toml"));
}

TEST_CASE("config: the fixed part of an export path must be a directory") {
  TempDir dir;
  dir.MakeDir("users");
  dir.Write("file", "x");
  const auto text = [&](const std::string& path) {
    return "# export\n[exports.e]\npath = \"" + path + "\"\n";
  };
  Ok(ParseConfig(text(dir.Sub("users/%u")), "t.toml"));
  Ok(ParseConfig(text(dir.Sub("users/%u/files")), "t.toml"));
  Ok(ParseConfig(text(dir.Sub("users/pre-%h-post")), "t.toml"));
  Ok(ParseConfig(text(dir.Sub("users")), "t.toml"));

  const ConfigError missing =
      OneError(ParseConfig(text(dir.Sub("nope/%u")), "t.toml"));
  CHECK(missing.key == "exports.e.path");
  CHECK(missing.line == 3);
  CHECK(missing.column == 8);
  CHECK(Contains(missing.message, dir.Sub("nope") + ": No such file"));
  CHECK(Contains(missing.message, "needed for " + dir.Sub("nope/%u")));

  const ConfigError deep =
      OneError(ParseConfig(text(dir.Sub("users/x/%u")), "t.toml"));
  CHECK(Contains(deep.message, dir.Sub("users/x") + ": "));

  const ConfigError file =
      OneError(ParseConfig(text(dir.Sub("file")), "t.toml"));
  CHECK(Contains(file.message, "is not a directory"));

  // %% is a literal '%': this directory must exist under its real name.
  const ConfigError pct =
      OneError(ParseConfig(text(dir.Sub("100%%")), "t.toml"));
  CHECK(Contains(pct.message, dir.Sub("100%") + ":"));
  dir.MakeDir("100%");
  Ok(ParseConfig(text(dir.Sub("100%%")), "t.toml"));
}

TEST_CASE("config: users and groups may only name existing exports") {
  TempDir dir;
  const std::string text = "[exports.home]\npath = \"" + dir.path() +
                           "\"\n"
                           "[users.alice]\n"                   // 3
                           "exports = [\"home\", \"hmoe\"]\n"  // 4
                           "[groups.staff]\n"                  // 5
                           "exports = [\"zzz\"]\n"             // 6
                           "[groups.empty]\n"                  // 7
                           "allow_from = []\n";                // 8
  const LoadResult r = ParseConfig(text, "names.toml");
  INFO(AllErrors(r));
  REQUIRE(r.errors.size() == 3);
  CHECK(r.errors[0].key == "users.alice.exports[1]");
  CHECK(r.errors[0].line == 4);
  CHECK(r.errors[0].column == 20);
  CHECK(r.errors[0].message == "no export named 'hmoe'; did you mean 'home'?");
  CHECK(r.errors[1].key == "groups.staff.exports[0]");
  CHECK(r.errors[1].message == "no export named 'zzz'");
  // A missing required key points at the table that lacks it.
  CHECK(r.errors[2].key == "groups.empty.exports");
  CHECK(r.errors[2].line == 7);
  CHECK(r.errors[2].column == 1);
  CHECK(Contains(r.errors[2].message, "missing required key 'exports'"));
}

TEST_CASE("config: a missing export path points at the export's table") {
  const ConfigError e =
      OneError(ParseConfig("\n\n[exports.home]\naccess = \"ro\"\n", "m.toml"));
  CHECK(e.ToString() ==
        "m.toml:3:1: exports.home.path: missing required key 'path'");
}

TEST_CASE("config: names must be safe as path components and in policies") {
  const LoadResult r = ParseConfig(
      "[exports.\"a/b\"]\npath = \"/\"\n"             // 1
      "[exports.\"..\"]\npath = \"/\"\n"              // 3
      "[users.\"bob smith\"]\nexports = [\"a/b\"]\n"  // 5
      "[groups.\"-x\"]\nexports = [\"..\"]\n",        // 7
      "n.toml");
  INFO(AllErrors(r));
  REQUIRE(r.errors.size() == 4);
  CHECK(r.errors[0].key == "exports.\"a/b\"");
  CHECK(r.errors[0].line == 1);
  CHECK(Contains(r.errors[0].message, "single path component"));
  CHECK(r.errors[1].key == "exports.\"..\"");
  CHECK(r.errors[2].key == "users.\"bob smith\"");
  CHECK(r.errors[3].key == "groups.-x");
}

TEST_CASE("config: bad CIDRs carry the parser's message and position") {
  TempDir dir;
  const std::string text = "[exports.e]\npath = \"" + dir.path() +
                           "\"\n[users.alice]\nexports = [\"e\"]\n"
                           "allow_from = [\"127.0.0.0/8\", \"127.0.0.1/8\", "
                           "\"localhost\"]\n";  // 5
  const LoadResult r = ParseConfig(text, "cidr.toml");
  INFO(AllErrors(r));
  REQUIRE(r.errors.size() == 2);
  CHECK(r.errors[0].key == "users.alice.allow_from[1]");
  CHECK(r.errors[0].line == 5);
  CHECK(r.errors[0].column == 30);
  CHECK(r.errors[0].message == Cidr::Parse("127.0.0.1/8").error());
  CHECK(r.errors[1].key == "users.alice.allow_from[2]");
  CHECK(r.errors[1].message == Cidr::Parse("localhost").error());
}

TEST_CASE("config: access must be rw or ro") {
  TempDir dir;
  const ConfigError e = OneError(ParseConfig(
      "[exports.e]\npath = \"" + dir.path() + "\"\naccess = \"rx\"\n",
      "a.toml"));
  CHECK(e.key == "exports.e.access");
  CHECK(e.line == 3);
  CHECK(e.column == 10);
  CHECK(e.message == "access must be \"rw\" or \"ro\", got \"rx\"");
}

TEST_CASE("config: a read-only export inside a read-write one is refused") {
  TempDir dir;
  const std::string top = dir.MakeDir("top");
  const std::string inner = dir.MakeDir("top/inner");
  const ConfigError e =
      OneError(ParseConfig("[exports.rw]\npath = \"" + top +
                               "/\"\n"
                               "[exports.ro]\npath = \"" +
                               inner + "\"\naccess = \"ro\"\n",
                           "n.toml"));
  CHECK(e.key == "exports.ro.path");
  CHECK(e.line == 4);
  CHECK(e.column == 8);
  CHECK(Contains(e.message, "inside read-write export 'rw'"));
  // The same directory twice is as bad; a sibling, a prefix of the name
  // ("top" and "topper"), or rw inside ro are fine.
  CHECK_FALSE(ParseConfig("[exports.a]\npath = \"" + top +
                              "\"\n"
                              "[exports.b]\npath = \"" +
                              top + "\"\naccess = \"ro\"\n",
                          "n.toml")
                  .config);
  const std::string topper = dir.MakeDir("topper");
  CHECK(ParseConfig("[exports.a]\npath = \"" + top +
                        "\"\n"
                        "[exports.b]\npath = \"" +
                        topper +
                        "\"\naccess = \"ro\"\n"
                        "[exports.c]\npath = \"" +
                        inner +
                        "\"\n"
                        "[exports.d]\npath = \"" +
                        dir.path() + "\"\naccess = \"ro\"\n",
                    "n.toml")
            .config);
}

TEST_CASE("config: umask is octal, as 0o027 or \"027\", at most 0o777") {
  TempDir dir;
  const auto load = [&](const std::string& umask) {
    return ParseConfig(
        "[exports.e]\npath = \"" + dir.path() + "\"\numask = " + umask + "\n",
        "u.toml");
  };
  CHECK(Ok(load("0o027")).exports[0].umask == 027);
  CHECK(Ok(load("\"027\"")).exports[0].umask == 027);
  CHECK(Ok(load("\"7\"")).exports[0].umask == 07);
  CHECK(Ok(load("0")).exports[0].umask == 0);
  CHECK(Ok(load("0o777")).exports[0].umask == 0777);
  for (const char* bad : {"0o1000", "\"1000\"", "\"028\"", "\"\"", "\"0o27\"",
                          "-1", "27", "true", "0x1f"}) {
    INFO(bad);
    const ConfigError e = OneError(load(bad));
    CHECK(e.key == "exports.e.umask");
    CHECK(e.line == 3);
    CHECK(e.column == 9);
  }
  CHECK(Contains(OneError(load("27")).message, "27 here is not octal"));
  CHECK(Contains(OneError(load("0x1f")).message, "31 here is not octal"));
}

TEST_CASE("config: auth methods and listen addresses are checked") {
  const LoadResult r = ParseConfig(
      "[auth]\nmethods = [\"publickey\", \"pasword\"]\n"  // 2
      "[server]\nlisten = [\"127.0.0.1:22\", \"[::1]:2222\", \"::1:22\", "
      "\"127.0.0.1:0\", \"host:22\"]\n",  // 4
      "m.toml");
  INFO(AllErrors(r));
  REQUIRE(r.errors.size() == 4);
  CHECK(r.errors[0].key == "auth.methods[1]");
  CHECK(Contains(r.errors[0].message, "did you mean 'password'?"));
  CHECK(r.errors[1].key == "server.listen[2]");
  CHECK(r.errors[2].key == "server.listen[3]");
  CHECK(Contains(r.errors[2].message, "1..65535"));
  CHECK(r.errors[3].key == "server.listen[4]");

  CHECK(Contains(
      OneError(ParseConfig("[auth]\nmethods = []\n", "e.toml")).message,
      "at least one"));
}

TEST_CASE("config: every error is reported, not only the first") {
  TempDir dir;
  const LoadResult r = ParseConfig(
      "[exports.e]\npath = \"" + dir.path() +
          "\"\n"
          "access = \"read\"\numask = \"9\"\nownr_only = true\n"
          "[users.u]\nexports = [\"f\"]\nallow_from = [\"1.2.3.4/40\"]\n"
          "[audit]\nsyslog = \"no\"\n",
      "many.toml");
  CHECK(r.errors.size() == 6);
  CHECK_FALSE(r.config.has_value());
  for (size_t i = 1; i < r.errors.size(); ++i) {
    CHECK(r.errors[i - 1].line <= r.errors[i].line);
  }
}

TEST_CASE("config: LoadConfig reads a root-owned file") {
  if (geteuid() != 0) {
    WARN("needs root to own the file as root");
    return;
  }
  TempDir dir;
  const std::string path = dir.Write(
      "ok.toml", "[exports.e]\npath = \"" + dir.path() + "\"\n", 0644);
  const LoadResult r = LoadConfig(path);
  const Config& c = Ok(r);
  CHECK(c.source == path);
  REQUIRE(c.exports.size() == 1);

  const ConfigError bad = OneError(
      LoadConfig(dir.Write("bad.toml", "[server]\nlistn = []\n", 0600)));
  CHECK(bad.file == dir.Sub("bad.toml"));
  CHECK(bad.ToString() == dir.Sub("bad.toml") +
                              ":2:1: server.listn: unknown key; did you mean "
                              "'listen'?");
}

TEST_CASE("config: a config file others can write is refused") {
  TempDir dir;
  const std::string path =
      dir.Write("open.toml", "[audit]\nsyslog = 5\n", 0666);
  const LoadResult r = LoadConfig(path);
  INFO(AllErrors(r));
  REQUIRE_FALSE(r.config.has_value());
  bool mode_error = false;
  for (const ConfigError& e : r.errors) {
    if (Contains(e.message, "mode 0666")) {
      mode_error = true;
      CHECK(e.file == path);
      CHECK(e.line == 0);
      CHECK(e.ToString() == path + ": " + e.message);
    }
  }
  CHECK(mode_error);
  // The content is still checked: all errors at once.
  CHECK(r.errors.back().key == "audit.syslog");

  const std::string group = dir.Write("group.toml", "", 0620);
  CHECK(Contains(AllErrors(LoadConfig(group)), "mode 0620"));
}

TEST_CASE("config: a config file not owned by root is refused") {
  if (geteuid() != 0) {
    WARN("needs root to chown");
    return;
  }
  TempDir dir;
  const std::string path = dir.Write("nobody.toml", "", 0644);
  REQUIRE(chown(path.c_str(), 65534, 65534) == 0);
  const ConfigError e = OneError(LoadConfig(path));
  CHECK(e.file == path);
  CHECK(Contains(e.message, "owned by uid 65534"));
  REQUIRE(chown(path.c_str(), 0, 0) == 0);
  Ok(LoadConfig(path));
}

TEST_CASE("config: LoadConfig on a missing file or a directory") {
  TempDir dir;
  const ConfigError missing = OneError(LoadConfig(dir.Sub("none.toml")));
  CHECK(Contains(missing.message, "cannot open"));
  CHECK(missing.ToString() ==
        dir.Sub("none.toml") + ": cannot open: No such file or directory");
  CHECK(Contains(OneError(LoadConfig(dir.path())).message, "regular file"));
}

TEST_CASE("config: hostile input gives errors, never an exception") {
  const std::string deep = "a = " + std::string(2000, '[') + "\n";
  for (const std::string& text :
       {std::string("\xff\xfe\x00junk", 7), std::string("[a]\n[a]\n"), deep,
        std::string("[exports.\"\"]\npath = \"/\"\n"),
        std::string("[users.\"\"]\nexports = []\n")}) {
    LoadResult r;
    REQUIRE_NOTHROW(r = ParseConfig(text, "junk.toml"));
    CHECK_FALSE(r.config.has_value());
    CHECK_FALSE(r.errors.empty());
  }

  TempDir dir;
  const std::string big =
      dir.Write("big.toml", std::string(1100 * 1024, '#') + "\n", 0644);
  CHECK(Contains(AllErrors(LoadConfig(big)), "larger than"));
}

TEST_CASE("config: ConfigError::ToString leaves out unknown parts") {
  CHECK(ConfigError{"f", 3, 7, "a.b", "bad"}.ToString() == "f:3:7: a.b: bad");
  CHECK(ConfigError{"f", 3, 0, "a.b", "bad"}.ToString() == "f:3: a.b: bad");
  CHECK(ConfigError{"f", 0, 0, "", "bad"}.ToString() == "f: bad");
  CHECK(ConfigError{"", 0, 0, "", "bad"}.ToString() == "bad");
}

// Grants for the RightsFor tests: alice has her own entry, staff and
// backup are groups, and a user "open" comes from anywhere.
Config RightsConfig(const TempDir& dir) {
  const std::string p = dir.path();
  const std::string shared = dir.MakeDir("shared");
  const std::string archive = dir.MakeDir("archive");
  const LoadResult r = ParseConfig(
      "[exports.home]\npath = \"" + p +
          "/%u\"\n"
          "[exports.shared]\npath = \"" +
          shared +
          "\"\n"
          "[exports.archive]\npath = \"" +
          archive +
          "\"\naccess = \"ro\"\n"
          "[users.alice]\nexports = [\"shared\", \"home\"]\n"
          "allow_from = [\"127.0.0.0/24\"]\n"
          "[users.open]\nexports = [\"archive\"]\n"
          "[groups.staff]\nexports = [\"home\", \"archive\", \"home\"]\n"
          "allow_from = [\"127.0.1.0/24\", \"127.0.0.0/24\", \"::1\"]\n"
          "[groups.backup]\nexports = [\"archive\"]\nallow_from = "
          "[\"127.0.2.1\"]\n",
      "rights.toml");
  Ok(r);
  return *r.config;
}

std::vector<std::string> Names(const Rights& r) {
  std::vector<std::string> out;
  for (const Export* e : r.exports) out.push_back(e->name);
  return out;
}

TEST_CASE("config: RightsFor unites user and groups, deduplicated in order") {
  TempDir dir;
  const Config c = RightsConfig(dir);
  const std::vector<std::string> groups = {"backup", "users", "staff"};

  const Rights alice = RightsFor(c, "alice", groups);
  CHECK(alice.found);
  CHECK(Names(alice) == std::vector<std::string>{"shared", "home", "archive"});
  CHECK(alice.exports[0] == c.FindExport("shared"));
  CHECK_FALSE(alice.any_address);
  std::vector<std::string> from;
  for (const Cidr& x : alice.allow_from) from.push_back(x.ToString());
  // alice's own, then staff (config order before backup), then backup.
  CHECK(from == std::vector<std::string>{"127.0.0.0/24", "127.0.1.0/24",
                                         "::1/128", "127.0.2.1/32"});

  const Rights only_group =
      RightsFor(c, "carol", std::vector<std::string>{"staff"});
  CHECK(only_group.found);
  CHECK(Names(only_group) == std::vector<std::string>{"home", "archive"});

  const Rights nobody =
      RightsFor(c, "mallory", std::vector<std::string>{"users"});
  CHECK_FALSE(nobody.found);
  CHECK(nobody.exports.empty());
  CHECK_FALSE(nobody.Allows(*Address::Parse("127.0.0.1")));

  // A group name is not a user name, nor the other way round.
  CHECK_FALSE(RightsFor(c, "staff", {}).found);
  CHECK_FALSE(RightsFor(c, "bob", std::vector<std::string>{"alice"}).found);
}

TEST_CASE("config: Rights::Allows checks the peer against the union") {
  TempDir dir;
  const Config c = RightsConfig(dir);
  const Rights alice =
      RightsFor(c, "alice", std::vector<std::string>{"backup"});
  CHECK(alice.Allows(*Address::Parse("127.0.0.9")));
  CHECK(alice.Allows(*Address::Parse("::ffff:127.0.0.9")));
  CHECK(alice.Allows(*Address::Parse("127.0.2.1")));
  CHECK_FALSE(alice.Allows(*Address::Parse("127.0.2.2")));
  CHECK_FALSE(alice.Allows(*Address::Parse("127.0.1.1")));  // staff's, not hers
  CHECK_FALSE(alice.Allows(*Address::Parse("::1")));

  // An entry without allow_from opens every address for the whole union.
  const Rights open = RightsFor(c, "open", std::vector<std::string>{"staff"});
  CHECK(open.any_address);
  CHECK(open.Allows(*Address::Parse("127.9.9.9")));
  CHECK(open.Allows(*Address::Parse("::1")));
}

TEST_CASE("config: each entry grants its exports from its own addresses") {
  TempDir dir;
  const Config c = RightsConfig(dir);
  const std::vector<std::string> groups = {"staff", "backup"};
  auto from = [&](const char* user, const char* address) {
    return RightsFor(c, user, groups, *Address::Parse(address));
  };
  // From alice's own network, her entry and staff's both admit.
  const Rights inside = from("alice", "127.0.0.5");
  CHECK(Names(inside) == std::vector<std::string>{"shared", "home", "archive"});
  CHECK(inside.granted_by ==
        std::vector<std::string>{"users.alice", "users.alice", "groups.staff"});
  // From staff's other networks only staff's exports: not her "shared".
  const Rights staff = from("alice", "127.0.1.5");
  CHECK(Names(staff) == std::vector<std::string>{"home", "archive"});
  CHECK(staff.granted_by ==
        std::vector<std::string>{"groups.staff", "groups.staff"});
  CHECK(Names(from("alice", "::1")) ==
        std::vector<std::string>{"home", "archive"});
  // backup's one address: backup's export alone.
  const Rights backup = from("alice", "127.0.2.1");
  CHECK(Names(backup) == std::vector<std::string>{"archive"});
  CHECK(backup.granted_by == std::vector<std::string>{"groups.backup"});
  // No entry admits it: nothing, and the union says so too.
  const Rights outside = from("alice", "127.0.3.1");
  CHECK(outside.found);
  CHECK(outside.exports.empty());
  CHECK_FALSE(outside.Allows(*Address::Parse("127.0.3.1")));
  // The tables and the union of addresses do not depend on the address.
  CHECK(outside.table_names == std::vector<std::string>{"users.alice",
                                                        "groups.staff",
                                                        "groups.backup"});
  CHECK(outside.allow_from.size() == 4);

  // An entry without allow_from widens only its own exports: "open" gets
  // the archive from anywhere, staff's home only from staff's networks.
  const Rights open_far = from("open", "127.9.9.9");
  CHECK(open_far.Allows(*Address::Parse("127.9.9.9")));
  CHECK(Names(open_far) == std::vector<std::string>{"archive"});
  CHECK(open_far.granted_by == std::vector<std::string>{"users.open"});
  CHECK(Names(from("open", "127.0.1.1")) ==
        std::vector<std::string>{"archive", "home"});
}

TEST_CASE("config: ParentDir names the directory that holds a host path") {
  CHECK(ParentDir("/var/log/sftpd/audit.jsonl") == "/var/log/sftpd");
  CHECK(ParentDir("/run/sftpd/") == "/run/sftpd");
  CHECK(ParentDir("/x") == "/");
  CHECK(ParentDir("/") == "/");
  CHECK(ParentDir("audit.jsonl") == ".");
  CHECK(ParentDir("logs/audit.jsonl") == "logs");
}

// What a Result holds, or nullopt for an error: comparable in a CHECK.
template <typename T>
std::optional<T> ValueOf(const Result<T>& r) {
  if (!r) return std::nullopt;
  return *r;
}

std::optional<std::string> Expanded(std::string_view pattern,
                                    std::string_view user,
                                    std::string_view home) {
  return ValueOf(ExpandPath(pattern, user, home));
}

TEST_CASE("config: FixedDirectory is an export path up to its first escape") {
  CHECK(FixedDirectory("/srv/home/%u") == "/srv/home");
  CHECK(FixedDirectory("/srv/%u/files") == "/srv");
  CHECK(FixedDirectory("/srv/share") == "/srv/share");
  CHECK(FixedDirectory("/srv/50%%/%u") == "/srv/50%");
  CHECK(FixedDirectory("/%u") == "/");
  CHECK(FixedDirectory("%h/files").empty());
  CHECK(FixedDirectory("relative/%u").empty());
}

TEST_CASE("config: ExpandPath substitutes and refuses hostile names") {
  CHECK(Expanded("/srv/%u", "alice", "/home/alice") == "/srv/alice");
  CHECK(Expanded("%h/.ssh/authorized_keys", "alice", "/home/alice") ==
        "/home/alice/.ssh/authorized_keys");
  CHECK(Expanded("/srv/%u/%u-%%", "bob", "") == "/srv/bob/bob-%");
  CHECK(Expanded("/srv/static", "bob", "") == "/srv/static");
  CHECK(Expanded("/srv/.%u", "bob", "") == "/srv/.bob");

  CHECK(Expanded("/srv/%u", "", "/home/x") == std::nullopt);
  CHECK(Expanded("/srv/%u", "..", "/home/x") == std::nullopt);
  CHECK(Expanded("/srv/%u", ".", "/home/x") == std::nullopt);
  CHECK(Expanded("/srv/%u", "../etc", "/home/x") == std::nullopt);
  CHECK(Expanded("/srv/%u", "a/b", "/home/x") == std::nullopt);
  CHECK(Expanded("/srv/%u", std::string_view("a\0b", 3), "/") == std::nullopt);
  CHECK(Expanded("%u/x", "alice", "/home/alice") == std::nullopt);
  CHECK(Expanded("%h/x", "alice", "") == std::nullopt);
  CHECK(Expanded("%h/x", "alice", "home/alice") == std::nullopt);
  CHECK(Expanded("%h/x", "alice", "/home/../etc") == std::nullopt);
  CHECK(Expanded("/srv/../etc/%u", "alice", "") == std::nullopt);
  CHECK(Expanded("/srv/%x", "alice", "") == std::nullopt);
  CHECK(Expanded("/srv/%", "alice", "") == std::nullopt);
  CHECK(Expanded("", "alice", "") == std::nullopt);
  // Each refusal says why.
  CHECK(Contains(ExpandPath("/srv/%x", "alice", "").error(), "escape"));
  CHECK(Contains(ExpandPath("/srv/%u", "a/b", "").error(), "user name"));
}

TEST_CASE("config: [defender] is on by default and read as written") {
  const DefenderSection d = Ok(ParseConfig("", "d.toml")).defender;
  CHECK(d.enabled);
  CHECK(d.threshold == 15);
  CHECK(d.observation_time == 600);
  CHECK(d.ban_time == 1800);
  CHECK(d.never_ban.empty());
  const DefenderSection set = Ok(ParseConfig("[defender]\n"
                                             "enabled = false\n"
                                             "threshold = 3\n"
                                             "ban_time = 5\n"
                                             "score_no_auth = 0\n"
                                             "never_ban = [\"127.0.0.4\", "
                                             "\"10.0.0.0/8\", \"::1\"]\n",
                                             "d.toml"))
                                  .defender;
  CHECK_FALSE(set.enabled);
  CHECK(set.threshold == 3);
  CHECK(set.ban_time == 5);
  CHECK(set.score_no_auth == 0);
  CHECK(set.score_failed_login == 1);
  REQUIRE(set.never_ban.size() == 3);
  CHECK(set.never_ban[0].ToString() == "127.0.0.4/32");
  CHECK(set.never_ban[1].ToString() == "10.0.0.0/8");
  CHECK(set.never_ban[2].Contains(*Address::Parse("::1")));
}

TEST_CASE("config: [server] proxy_from, read, described and refused") {
  CHECK(Ok(ParseConfig("", "p.toml")).server.proxy_from.empty());
  CHECK_FALSE(Contains(Describe(Ok(ParseConfig("", "p.toml"))), "balancers"));
  const Config c = Ok(ParseConfig(
      "[server]\nproxy_from = [\"10.0.0.5\", \"2001:db8::/64\"]\n", "p.toml"));
  REQUIRE(c.server.proxy_from.size() == 2);
  CHECK(c.server.proxy_from[0].Contains(*Address::Parse("10.0.0.5")));
  CHECK_FALSE(c.server.proxy_from[0].Contains(*Address::Parse("10.0.0.6")));
  CHECK(c.server.proxy_from[1].Contains(*Address::Parse("2001:db8::9")));
  CHECK(Contains(Describe(c),
                 "balancers (PROXY header): 10.0.0.5/32, 2001:db8::/64\n"));
  const LoadResult r = ParseConfig(
      "[server]\n"                                         // 1
      "proxy_from = [\"10.0.0.5/8\", \"haproxy\", 3]\n",  // 2
      "p.toml");
  INFO(AllErrors(r));
  REQUIRE_FALSE(r.config.has_value());
  REQUIRE(r.errors.size() == 3);
  CHECK(r.errors[0].key == "server.proxy_from[0]");
  CHECK(r.errors[0].line == 2);
  CHECK(r.errors[1].key == "server.proxy_from[1]");
  CHECK(r.errors[2].key == "server.proxy_from[2]");
}

TEST_CASE("config: [defender] errors name line and key") {
  const LoadResult r = ParseConfig(
      "[defender]\n"                                         // 1
      "enabled = \"yes\"\n"                                  // 2
      "never_ban = [\"127.0.0.1/33\", 7, \"10.1.0.0/8\"]\n"  // 3
      "ban_tme = 60\n",                                      // 4
      "d.toml");
  INFO(AllErrors(r));
  REQUIRE_FALSE(r.config.has_value());
  REQUIRE(r.errors.size() == 5);
  CHECK(r.errors[0].key == "defender.enabled");
  CHECK(r.errors[0].line == 2);
  CHECK(r.errors[1].key == "defender.never_ban[0]");
  CHECK(r.errors[1].line == 3);
  CHECK(r.errors[2].key == "defender.never_ban[1]");
  CHECK(r.errors[3].key == "defender.never_ban[2]");
  CHECK(r.errors[4].line == 4);
  CHECK(Contains(r.errors[4].message, "did you mean 'ban_time'?"));
}

TEST_CASE("config: [defender] IPv6 prefixes, read as written or refused") {
  const DefenderSection d = Ok(ParseConfig("", "d.toml")).defender;
  CHECK(d.ipv6_prefix == 64);
  CHECK(d.ipv6_wide_prefix == 48);
  CHECK(d.ipv6_wide_networks == 8);
  const DefenderSection set = Ok(ParseConfig("[defender]\n"
                                             "ipv6_prefix = 128\n"
                                             "ipv6_wide_prefix = 128\n"
                                             "ipv6_wide_networks = 0\n",
                                             "d.toml"))
                                  .defender;
  CHECK(set.ipv6_prefix == 128);
  CHECK(set.ipv6_wide_prefix == 128);
  CHECK(set.ipv6_wide_networks == 0);

  // Out of range: file, line and key, as every integer key.
  for (const char* bad :
       {"ipv6_prefix = 31", "ipv6_prefix = 129", "ipv6_wide_prefix = 31",
        "ipv6_wide_prefix = 129", "ipv6_wide_networks = -1",
        "ipv6_wide_networks = 10001"}) {
    INFO(bad);
    const ConfigError e =
        OneError(ParseConfig(std::string("[defender]\n") + bad + "\n", "p"));
    CHECK(e.file == "p");
    CHECK(e.line == 2);
    CHECK(e.key ==
          "defender." + std::string(bad).substr(0, std::string(bad).find(' ')));
    CHECK(Contains(e.message, "must be "));
  }
  // 1 would ban a wide prefix at its first network's first offence.
  const ConfigError one = OneError(
      ParseConfig("[defender]\nthreshold = 3\nipv6_wide_networks = 1\n", "o"));
  CHECK(one.line == 3);
  CHECK(one.key == "defender.ipv6_wide_networks");
  CHECK(Contains(one.message, "0 (no wide bans) or 2..10000, got 1"));

  // The wide prefix may not be longer than the scored one: the error points
  // at whichever of the two was set later, or at the one set at all.
  const ConfigError wide = OneError(ParseConfig(
      "[defender]\nipv6_prefix = 56\nipv6_wide_prefix = 60\n", "w.toml"));
  CHECK(wide.ToString() ==
        "w.toml:3:20: defender.ipv6_wide_prefix: ipv6_wide_prefix (/60) must "
        "be at most ipv6_prefix (/56)");
  const ConfigError narrow =
      OneError(ParseConfig("[defender]\n\nipv6_prefix = 40\n", "n.toml"));
  CHECK(narrow.file == "n.toml");
  CHECK(narrow.line == 3);
  CHECK(narrow.key == "defender.ipv6_prefix");
  CHECK(narrow.message ==
        "ipv6_wide_prefix (/48, the default) must be at most ipv6_prefix "
        "(/40)");
  const ConfigError first = OneError(ParseConfig(
      "[defender]\nipv6_wide_prefix = 100\nipv6_prefix = 96\n", "f"));
  CHECK(first.line == 3);
  CHECK(first.key == "defender.ipv6_prefix");
  // A value refused for its range is not compared again.
  OneError(ParseConfig("[defender]\nipv6_prefix = 40\nipv6_wide_prefix = 300\n",
                       "r"));
}

TEST_CASE("config: the control socket of a broken file, read leniently") {
  TempDir dir;
  const std::string def = ServerSection{}.control_socket;
  // Broken for the loader (an unknown key), still TOML: its value.
  CHECK(ValueOf(ControlSocketOf(
            dir.Write("a.toml",
                      "[server]\nbogus = 1\n"
                      "control_socket = \"/x/c.sock\"\n"))) == "/x/c.sock");
  CHECK(ValueOf(ControlSocketOf(
            dir.Write("b.toml", "[server]\nlisten = [\n"))) == def);
  CHECK(ValueOf(ControlSocketOf(
            dir.Write("c.toml", "[server]\ncontrol_socket = 5\n"))) == def);
  CHECK(ValueOf(ControlSocketOf(dir.Write("d.toml", ""))) == def);
  CHECK_FALSE(ControlSocketOf(dir.Sub("missing.toml")));
}

TEST_CASE("config: Describe summarises exports, users and groups") {
  TempDir dir;
  const Config c = RightsConfig(dir);
  const std::string d = Describe(c);
  INFO(d);
  CHECK(Contains(d, "rights.toml: 3 exports, 2 users, 2 groups\n"));
  CHECK(Contains(d, "  home -> " + dir.path() + "/%u (rw, umask 022)\n"));
  CHECK(
      Contains(d, "  archive -> " + dir.path() + "/archive (ro, umask 022)\n"));
  CHECK(Contains(d, "  alice: shared, home; from 127.0.0.0/24\n"));
  CHECK(Contains(d, "  open: archive; from any address\n"));
  CHECK(Contains(d, "groups:\n  staff: "));
  CHECK(Contains(Describe(Ok(ParseConfig("", "e"))),
                 "e: 0 exports, 0 users, 0 groups"));
  CHECK(Contains(d,
                 "defender: ban for 1800 s at 15 points; IPv6 by /64, its /48 "
                 "at 8 networks; never: none\n"));
  CHECK(Contains(Describe(Ok(ParseConfig("[defender]\nipv6_prefix = 128\n"
                                         "ipv6_wide_networks = 0\n",
                                         "w"))),
                 "; IPv6 by /128; never: none\n"));
  CHECK(Contains(
      Describe(Ok(ParseConfig(
          "[defender]\nnever_ban = [\"10.0.0.0/8\", \"::1\"]\n", "n"))),
      "never: 10.0.0.0/8, ::1/128\n"));
  CHECK(Contains(
      Describe(Ok(ParseConfig("[defender]\nenabled = false\n", "off"))),
      "defender: off\n"));
}

}  // namespace
}  // namespace sftpd

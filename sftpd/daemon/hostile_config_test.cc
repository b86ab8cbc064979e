// Hostile input, second part (the first, the SFTP engine's tables and the
// header that lists every part, is sftpd/engine/hostile_test.cc): config texts
// and files, each with the error (line and key) it must get or that it loads,
// and authorized_keys lines, each accepted or skipped with its reason.
#include <libssh/libssh.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/testing.h"
#include "sftpd/daemon/authorized_keys.h"

namespace sftpd {
namespace hostile {

namespace {

// --- config texts
// -------------------------------------------------------------

// One export and one user; rows add lines after it, from line 5 on.
constexpr std::string_view kBase =
    "[exports.home]\n"
    "path = \"/tmp/%u\"\n"
    "[users.alice]\n"
    "exports = [\"home\"]\n";

// What a config text must produce: line 0 means it loads. Otherwise one of
// its errors is on `line` with exactly `key` and `message` in its text. A
// TOML syntax error has no key field (toml++ stops at the first error, before
// any key is known); where one is involved (a duplicate) its message names it.
struct ConfigRow {
  std::string name;
  std::string text;
  int line = 0;
  std::string key;
  std::string message;
};

std::string Nested(size_t depth, std::string_view open, std::string_view close,
                   std::string_view inner) {
  std::string s;
  for (size_t i = 0; i < depth; ++i) s += open;
  s += inner;
  for (size_t i = 0; i < depth; ++i) s += close;
  return s;
}

std::vector<ConfigRow> ConfigRows() {
  const std::string b(kBase);
  std::vector<ConfigRow> r;
  auto ok = [&](std::string name, std::string text) {
    r.push_back({std::move(name), std::move(text), 0, "", ""});
  };
  auto bad = [&](std::string name, std::string text, int line, std::string key,
                 std::string message) {
    r.push_back({std::move(name), std::move(text), line, std::move(key),
                 std::move(message)});
  };

  // Valid texts.
  ok("an empty file", "");
  ok("only comments and blank lines", "# sftpd\n\n   # nothing else\n");
  ok("the base config", b);
  ok("CRLF line ends", "[exports.home]\r\npath = \"/tmp/%u\"\r\n");
  ok("a UTF-8 byte order mark", "\xef\xbb\xbf" + b);
  ok("every section with in-range values",
     b + "[server]\nlisten = [\"127.0.0.1:2222\", \"[::1]:2222\"]\n"
         "max_startups = 1\nidle_timeout = 604800\n"
         "max_startups_per_address = 10000\n"
         "[auth]\nmethods = [\"publickey\"]\nmax_tries = 100\n"
         "[audit]\nlog = \"\"\non_failure = \"refuse\"\n"
         "[policy]\naudit_writes = true\n");
  ok("max_startups as start:rate:full",
     b + "[server]\nmax_startups = \"10:30:100\"\n");
  ok("a path with %% and %h", b + "[exports.h2]\npath = \"%h/100%%\"\n");
  ok("a non-ASCII comment", b + "# caf\xc3\xa9 \xe2\x98\x95\n");
  ok("umask as an octal string", b + "[exports.s]\npath = \"/tmp\"\n"
                                     "umask = \"0077\"\n");

  // Unknown and misspelt keys.
  bad("an unknown top-level table", b + "[sever]\nlisten = []\n", 5, "sever",
      "unknown key; did you mean 'server'?");
  bad("an unknown key in [server]", b + "[server]\nmax_startup = 5\n", 6,
      "server.max_startup", "did you mean 'max_startups'?");
  bad("an unknown key in a user", b + "acess = \"ro\"\n", 5,
      "users.alice.acess", "unknown key");
  bad("an unknown key in an export table",
      "[exports.home]\npath = \"/tmp\"\nacess = \"ro\"\n", 3,
      "exports.home.acess", "did you mean 'access'?");
  bad("an unknown key of 10000 bytes gets no hint",
      b + std::string(10000, 'k') + " = 1\n", 5,
      "users.alice." + std::string(10000, 'k'), "unknown key");
  bad("a quoted key with a dot", b + "[server]\n\"max.startups\" = 1\n", 6,
      "server.\"max.startups\"", "unknown key");
  bad("a key that is an empty string", b + "\"\" = 1\n", 5, "users.alice.\"\"",
      "unknown key");

  // Wrong types.
  bad("listen as a string", b + "[server]\nlisten = \"0.0.0.0:22\"\n", 6,
      "server.listen", "expected an array of strings, got a string");
  bad("max_startups as a string of one number",
      b + "[server]\nmax_startups = \"10\"\n", 6, "server.max_startups",
      "'10' is not \"start:rate:full\" (e.g. \"10:30:100\"); a plain cap is "
      "an integer");
  bad("max_startups as a float", b + "[server]\nmax_startups = 1.5\n", 6,
      "server.max_startups",
      "expected an integer or a \"start:rate:full\" string, got a float");
  bad("max_startups with a fourth field",
      b + "[server]\nmax_startups = \"1:2:3:4\"\n", 6, "server.max_startups",
      "'1:2:3:4' is not \"start:rate:full\"");
  bad("max_startups with an empty field",
      b + "[server]\nmax_startups = \"1::3\"\n", 6, "server.max_startups",
      "'1::3' is not");
  bad("max_startups with a sign", b + "[server]\nmax_startups = \"1:-2:3\"\n",
      6, "server.max_startups", "is not");
  bad("max_startups with a huge field",
      b + "[server]\nmax_startups = \"1:30:99999999999999999999\"\n", 6,
      "server.max_startups", "is not");
  bad("max_startups start above full",
      b + "[server]\nmax_startups = \"20:30:10\"\n", 6, "server.max_startups",
      "start must be 1..full (10), got 20");
  bad("max_startups start 0", b + "[server]\nmax_startups = \"0:30:10\"\n", 6,
      "server.max_startups", "start must be 1..full (10), got 0");
  bad("max_startups rate 0", b + "[server]\nmax_startups = \"5:0:10\"\n", 6,
      "server.max_startups", "rate must be 1..100 (a percentage), got 0");
  bad("max_startups rate 101", b + "[server]\nmax_startups = \"5:101:10\"\n", 6,
      "server.max_startups", "got 101");
  bad("max_startups full 10001",
      b + "[server]\nmax_startups = \"5:30:10001\"\n", 6, "server.max_startups",
      "full must be 1..10000, got 10001");
  bad("max_startups_per_address 0",
      b + "[server]\nmax_startups_per_address = 0\n", 6,
      "server.max_startups_per_address", "must be 1..10000, got 0");
  bad("max_startups_per_address as a string",
      b + "[server]\nmax_startups_per_address = \"3\"\n", 6,
      "server.max_startups_per_address", "expected an integer, got a string");
  bad("max_tries as a boolean", b + "[auth]\nmax_tries = true\n", 6,
      "auth.max_tries", "expected an integer, got a boolean");
  bad("login_grace_time as a date-time",
      b + "[auth]\nlogin_grace_time = 1979-05-27T07:32:00Z\n", 6,
      "auth.login_grace_time", "got a date-time");
  bad("a key under the wrong table", b + "server = 5\n", 5,
      "users.alice.server", "unknown key");
  bad("server = 5 at the top", "server = 5\n" + b, 1, "server",
      "expected a table, got an integer");
  bad("exports as an array", "exports = []\n", 1, "exports",
      "expected a table, got an array");
  bad("an export that is a string", "[exports]\nhome = \"/tmp\"\n", 2,
      "exports.home", "expected a table, got a string");
  bad("a listen element that is a number", b + "[server]\nlisten = [22]\n", 6,
      "server.listen[0]", "expected a string, got an integer");
  bad("audit_writes as a string", b + "[policy]\naudit_writes = \"yes\"\n", 6,
      "policy.audit_writes", "expected a boolean, got a string");
  bad("atomic_uploads as a string",
      "[exports.home]\npath = \"/tmp/%u\"\natomic_uploads = \"true\"\n", 3,
      "exports.home.atomic_uploads", "expected a boolean, got a string");
  bad("on_failure as a boolean", b + "[audit]\non_failure = true\n", 6,
      "audit.on_failure", "expected a string, got a boolean");
  bad("on_failure of another word", b + "[audit]\non_failure = \"Refuse\"\n", 6,
      "audit.on_failure", "must be \"continue\" or \"refuse\"");
  bad("on_failure empty", b + "[audit]\non_failure = \"\"\n", 6,
      "audit.on_failure", "got \"\"");

  // Numbers out of range.
  bad("max_startups 0", b + "[server]\nmax_startups = 0\n", 6,
      "server.max_startups", "must be 1..10000, got 0");
  bad("max_startups -1", b + "[server]\nmax_startups = -1\n", 6,
      "server.max_startups", "got -1");
  bad("max_startups 10001", b + "[server]\nmax_startups = 10001\n", 6,
      "server.max_startups", "got 10001");
  bad("max_connections 2^63-1",
      b + "[server]\nmax_connections = 9223372036854775807\n", 6,
      "server.max_connections", "got 9223372036854775807");
  bad("max_connections -2^63",
      b + "[server]\nmax_connections = -9223372036854775808\n", 6,
      "server.max_connections", "got -9223372036854775808");
  bad("an integer past 2^63-1 is a syntax error",
      b + "[server]\nmax_connections = 9223372036854775808\n", 6, "",
      "not representable in 64 bits");
  bad("idle_timeout one week and a second",
      b + "[server]\nidle_timeout = 604801\n", 6, "server.idle_timeout",
      "must be 0..604800");
  bad("login_grace_time 0", b + "[auth]\nlogin_grace_time = 0\n", 6,
      "auth.login_grace_time", "must be 1..3600");
  bad("a float of 1e400 is a syntax error", b + "[auth]\nmax_tries = 1e400\n",
      6, "", "could not be interpreted");
  bad("a float for an integer", b + "[auth]\nmax_tries = 6e0\n", 6,
      "auth.max_tries", "expected an integer, got a float");
  bad("a hexadecimal integer in range is an integer, but 0x0 is not in range",
      b + "[auth]\nmax_tries = 0x0\n", 6, "auth.max_tries", "got 0");

  // Duplicates.
  bad("a key given twice", b + "[server]\nmax_startups = 1\nmax_startups = 2\n",
      7, "", "cannot redefine existing integer 'max_startups'");
  bad("a table given twice", b + "[exports.home]\npath = \"/tmp\"\n", 5, "",
      "cannot redefine existing table 'exports.home'");
  bad("a table header repeated after its keys",
      b + "[server]\nmax_startups = 1\n[server]\n", 7, "",
      "cannot redefine existing table 'server'");
  bad("a kex name listed twice",
      b + "[server]\nkex = [\"curve25519-sha256\", \"curve25519-sha256\"]\n", 6,
      "server.kex[1]", "listed twice");

  // Addresses.
  bad("allow_from /33", b + "allow_from = [\"192.168.1.0/33\"]\n", 5,
      "users.alice.allow_from[0]", "prefix length 33 in '192.168.1.0/33'");
  bad("allow_from with host bits set", b + "allow_from = [\"10.1.2.3/8\"]\n", 5,
      "users.alice.allow_from[0]", "host bits set");
  bad("allow_from IPv6 /129", b + "allow_from = [\"2001:db8::/129\"]\n", 5,
      "users.alice.allow_from[0]", "out of range for IPv6");
  bad("allow_from a host name", b + "allow_from = [\"localhost\"]\n", 5,
      "users.alice.allow_from[0]", "'localhost' is not an IPv4 or IPv6");
  bad("allow_from an empty string", b + "allow_from = [\"\"]\n", 5,
      "users.alice.allow_from[0]", "empty address");
  bad("allow_from a negative prefix", b + "allow_from = [\"10.0.0.0/-8\"]\n", 5,
      "users.alice.allow_from[0]", "'-8' in '10.0.0.0/-8' is not a number");
  bad("allow_from a string, not an array", b + "allow_from = \"10.0.0.0/8\"\n",
      5, "users.alice.allow_from", "expected an array of strings");
  bad("listen port 0", b + "[server]\nlisten = [\"0.0.0.0:0\"]\n", 6,
      "server.listen[0]", "is not 1..65535");
  bad("listen port 99999", b + "[server]\nlisten = [\"0.0.0.0:99999\"]\n", 6,
      "server.listen[0]", "is not 1..65535");
  bad("listen IPv6 without brackets", b + "[server]\nlisten = [\"::1:22\"]\n",
      6, "server.listen[0]", "is not address:port");
  bad("listen a host name", b + "[server]\nlisten = [\"example.com:22\"]\n", 6,
      "server.listen[0]", "is not address:port");
  bad("listen with a signed port",
      b + "[server]\nlisten = [\"127.0.0.1:+22\"]\n", 6, "server.listen[0]",
      "is not 1..65535");
  bad("listen empty", b + "[server]\nlisten = []\n", 6, "server.listen",
      "must name at least one");

  // Paths and escapes.
  bad("an unknown %-escape", "[exports.home]\npath = \"/tmp/%x\"\n", 2,
      "exports.home.path", "unknown escape");
  bad("a trailing %", "[exports.home]\npath = \"/tmp/%\"\n", 2,
      "exports.home.path", "unknown escape");
  bad("%% makes a literal directory that must exist",
      "[exports.home]\npath = \"/tmp/%%u-none\"\n", 2, "exports.home.path",
      "/tmp/%u-none: No such file or directory");
  bad("a relative export path", "[exports.home]\npath = \"srv/x\"\n", 2,
      "exports.home.path", "is not an absolute path");
  bad("an empty export path", "[exports.home]\npath = \"\"\n", 2,
      "exports.home.path", "is not an absolute path");
  bad("an export path with ..", "[exports.home]\npath = \"/tmp/../etc\"\n", 2,
      "exports.home.path", "'.' or '..'");
  bad("an export path %h/..", "[exports.home]\npath = \"%h/../x\"\n", 2,
      "exports.home.path", "'.' or '..'");
  bad("an export path with /./", "[exports.home]\npath = \"/tmp/./%u\"\n", 2,
      "exports.home.path", "'.' or '..'");
  bad("an export path to a file", "[exports.home]\npath = \"/etc/passwd\"\n", 2,
      "exports.home.path", "is not a directory");
  bad("an export path of 100000 bytes",
      "[exports.home]\npath = \"/" + std::string(100000, 'p') + "\"\n", 2,
      "exports.home.path", "File name too long");
  // A NUL would cut the path short wherever it is used as a C string (the
  // session would serve /tmp, the keys file be /etc/keys for every user).
  bad("an export path with a NUL escape",
      "[exports.home]\npath = \"/tmp/\\u0000x\"\n", 2, "exports.home.path",
      "holds a NUL byte");
  bad("an authorized_keys file with a NUL escape",
      b + "[auth]\nauthorized_keys = [\"/etc/keys\\u0000/%u\"]\n", 6,
      "auth.authorized_keys[0]", "holds a NUL byte");
  bad("an audit log with a NUL escape",
      b + "[audit]\nlog = \"/var/log/a\\u0000b\"\n", 6, "audit.log",
      "holds a NUL byte");
  bad("a relative authorized_keys file",
      b + "[auth]\nauthorized_keys = [\"keys/%u\"]\n", 6,
      "auth.authorized_keys[0]", "is not an absolute path");
  bad("an authorized_keys file with %q",
      b + "[auth]\nauthorized_keys = [\"/etc/%q\"]\n", 6,
      "auth.authorized_keys[0]", "unknown escape");
  bad("a relative audit log", b + "[audit]\nlog = \"audit.jsonl\"\n", 6,
      "audit.log", "is not an absolute path");
  bad("a relative host key", b + "[server]\nhost_keys = [\"key\"]\n", 6,
      "server.host_keys[0]", "is not an absolute path");
  bad("a read-only export inside a read-write one",
      "[exports.all]\npath = \"/tmp\"\n[exports.ro]\npath = \"/tmp\"\n"
      "access = \"ro\"\n",
      4, "exports.ro.path", "lies inside read-write export 'all'");

  // Bytes TOML does not allow.
  bad("a raw NUL byte", b + std::string("x = \"a\0b\"\n", 10), 5, "",
      "unescaped control characters");
  bad("a raw control byte in a string",
      b + "x = \"a\x01"
          "b\"\n",
      5, "", "unescaped control characters");
  bad("a raw ESC in a comment", b + "# \x1b[2J\n", 5, "",
      "prohibited in comments");
  bad("a non-UTF-8 byte in a string", b + "x = \"\xff\"\n", 5, "",
      "invalid utf-8");
  bad("a non-UTF-8 byte in a comment", b + "# \xc3\x28\n", 5, "",
      "invalid utf-8");
  // (Not first on its line: toml++ puts a bad byte in column 1 at the end
  // of the line before.)
  bad("a non-UTF-8 byte in a key", b + "a\xfe = 1\n", 5, "", "utf-8");
  bad("an overlong UTF-8 slash", b + "x = \"\xc0\xaf\"\n", 5, "",
      "invalid utf-8");
  bad("a UTF-16 surrogate escape", b + "x = \"\\ud800\"\n", 5, "",
      "surrogates");
  bad("a lone CR as a line end", b + "[server]\rmax_startups = 1\n", 5, "",
      "expected '\\n' after '\\r'");

  // Names.
  bad("an export name with a slash", "[exports.\"a/b\"]\npath = \"/tmp\"\n", 1,
      "exports.\"a/b\"", "single path component");
  bad("an export named ..", "[exports.\"..\"]\npath = \"/tmp\"\n", 1,
      "exports.\"..\"", "single path component");
  bad("an export name of 256 bytes",
      "[exports." + std::string(256, 'e') + "]\npath = \"/tmp\"\n", 1,
      "exports." + std::string(256, 'e'), "single path component");
  bad("a non-ASCII export name", "[exports.\"caf\xc3\xa9\"]\npath = \"/tmp\"\n",
      1, "exports.\"caf\xc3\xa9\"", "single path component");
  bad("a user name starting with -",
      "[exports.home]\npath = \"/tmp\"\n[users.-bad]\nexports = [\"home\"]\n",
      3, "users.-bad", "not starting with '-'");
  bad("a user name with a blank",
      "[exports.home]\npath = \"/tmp\"\n[users.\"a b\"]\nexports = "
      "[\"home\"]\n",
      3, "users.\"a b\"", "user name 'a b'");
  bad("a group name with a comma",
      "[exports.home]\npath = \"/tmp\"\n[groups.\"a,b\"]\nexports = "
      "[\"home\"]\n",
      3, "groups.\"a,b\"", "group name 'a,b'");

  // Grants, access, umask, methods, algorithms.
  bad("a user with no exports", b + "[users.bob]\nexports = []\n", 6,
      "users.bob.exports", "must name at least one export");
  bad("a user naming an unknown export",
      b + "[users.bob]\nexports = [\"hom\"]\n", 6, "users.bob.exports[0]",
      "no export named 'hom'; did you mean 'home'?");
  bad("a user without an exports key", b + "[users.bob]\n", 5,
      "users.bob.exports", "missing required key 'exports'");
  bad("an export without a path", b + "[exports.x]\naccess = \"ro\"\n", 5,
      "exports.x.path", "missing required key 'path'");
  bad("access rwx", "[exports.home]\npath = \"/tmp\"\naccess = \"rwx\"\n", 3,
      "exports.home.access", "access must be \"rw\" or \"ro\"");
  bad("access in capitals",
      "[exports.home]\npath = \"/tmp\"\naccess = \"RO\"\n", 3,
      "exports.home.access", "got \"RO\"");
  bad("umask in decimal", "[exports.home]\npath = \"/tmp\"\numask = 27\n", 3,
      "exports.home.umask", "write the umask in octal");
  bad("umask 0o1000", "[exports.home]\npath = \"/tmp\"\numask = 0o1000\n", 3,
      "exports.home.umask", "umask must be octal 0..777");
  bad("umask \"0999\"", "[exports.home]\npath = \"/tmp\"\numask = \"0999\"\n",
      3, "exports.home.umask", "got \"0999\"");
  bad("umask \"\"", "[exports.home]\npath = \"/tmp\"\numask = \"\"\n", 3,
      "exports.home.umask", "got \"\"");
  bad("umask of 5 digits",
      "[exports.home]\npath = \"/tmp\"\numask = \"00000\"\n", 3,
      "exports.home.umask", "got \"00000\"");
  bad("umask negative", "[exports.home]\npath = \"/tmp\"\numask = -1\n", 3,
      "exports.home.umask", "umask must be octal");
  bad("umask a boolean", "[exports.home]\npath = \"/tmp\"\numask = true\n", 3,
      "exports.home.umask", "expected an integer or a string, got a boolean");
  bad("auth method none", b + "[auth]\nmethods = [\"none\"]\n", 6,
      "auth.methods[0]", "unknown method 'none'");
  bad("no auth methods", b + "[auth]\nmethods = []\n", 6, "auth.methods",
      "nobody can log in");
  bad("a SHA-1 key exchange",
      b + "[server]\nkex = [\"diffie-hellman-group1-sha1\"]\n", 6,
      "server.kex[0]", "is not allowed");
  bad("a CBC cipher", b + "[server]\nciphers = [\"aes128-cbc\"]\n", 6,
      "server.ciphers[0]", "is not allowed");
  bad("no MACs", b + "[server]\nmacs = []\n", 6, "server.macs",
      "must name at least one of");
  bad("ssh-rsa host key algorithm",
      b + "[server]\nhost_key_algorithms = [\"ssh-rsa\"]\n", 6,
      "server.host_key_algorithms[0]", "is not allowed");

  // Deep nesting and size.
  bad("arrays nested 10000 deep",
      b + "x = " + Nested(10000, "[", "]", "1") + "\n", 5, "",
      "maximum nested value depth");
  bad("inline tables nested 10000 deep",
      b + "x = " + Nested(10000, "{a=", "}", "1") + "\n", 5, "",
      "maximum nested value depth");
  bad("a table header 2000 keys deep",
      b + "[" + Nested(2000, "a.", "", "a") + "]\n", 5, "a", "unknown key");
  bad("a string of 500000 bytes as a key's value",
      b + "[audit]\nlog = \"/" + std::string(500000, 'l') + "\"\n" +
          "[server]\nmax_startups = 0\n",
      8, "server.max_startups", "got 0");
  return r;
}

// LoadConfig on files that are not an ordinary config.
struct FileRow {
  std::string name;
  std::function<std::string(testing::TempDir&)> make;  // returns the path
  std::string message;                                 // "" : it loads
};

std::vector<FileRow> ConfigFileRows() {
  auto write = [](std::string text, mode_t mode) {
    return [text, mode](testing::TempDir& d) {
      return d.Write("sftpd.toml", text, mode);
    };
  };
  return {
      {"an empty root-owned file loads", write("", 0600), ""},
      {"a file others may write", write(std::string(kBase), 0666),
       "lets group or others write it"},
      {"a file of more than 1 MiB",
       write(std::string(kBase) + "#" + std::string(1 << 20, 'x') + "\n", 0600),
       "larger than 1048576 bytes"},
      {"a directory", [](testing::TempDir& d) { return d.MakeDir("dir"); },
       "not a regular file"},
      {"a missing file", [](testing::TempDir& d) { return d.Sub("none"); },
       "cannot open"},
      {"a FIFO does not hang",
       [](testing::TempDir& d) {
         std::string p = d.Sub("fifo");
         REQUIRE(mkfifo(p.c_str(), 0600) == 0);
         return p;
       },
       "not a regular file"},
      {"/dev/zero", [](testing::TempDir&) { return std::string("/dev/zero"); },
       "not a regular file"},
  };
}

// --- authorized_keys lines
// ----------------------------------------------------

// A fresh ed25519 key: its type and base64 blob.
struct Key {
  Key() {
    REQUIRE(ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) == SSH_OK);
    char* b64 = nullptr;
    REQUIRE(ssh_pki_export_pubkey_base64(key, &b64) == SSH_OK);
    blob = b64;
    ssh_string_free_char(b64);
  }
  ~Key() { ssh_key_free(key); }
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;
  std::string Line() const { return "ssh-ed25519 " + blob; }
  ssh_key key = nullptr;
  std::string blob;
};

// One line (K stands for "ssh-ed25519 BLOB" of a fresh key, B for the blob
// alone); accepted when `reason` is empty, else skipped with it.
struct KeyRow {
  std::string name;
  std::string line;
  std::string reason;
};

std::vector<KeyRow> KeyRows() {
  const std::string k = "\x01K\x01", bl = "\x01"
                                          "B\x01";
  std::vector<KeyRow> r;
  auto ok = [&](std::string n, std::string l) {
    r.push_back({std::move(n), std::move(l), ""});
  };
  auto skip = [&](std::string n, std::string l, std::string why) {
    r.push_back({std::move(n), std::move(l), std::move(why)});
  };
  ok("a key alone", k);
  ok("a key and a comment", k + " alice@laptop");
  ok("leading blanks and tabs", " \t  " + k);
  ok("tabs between the fields", "ssh-ed25519\t\t" + bl + "\tcomment");
  ok("a CRLF line end", k + " comment\r");
  ok("a comment of 100000 bytes", k + " " + std::string(100000, 'c'));
  ok("a non-UTF-8 comment", k + " \xff\xfe\x80");
  skip("a NUL in the comment", k + std::string(" a\0b", 4), "NUL byte");
  ok("restrict and from=", "restrict,from=\"127.0.0.1\" " + k);
  ok("options in capitals", "RESTRICT,No-Pty " + k);
  ok("from= with a negated address and a block",
     "from=\"!127.0.0.2,127.0.0.0/8\" " + k);
  ok("from= with wildcards", "from=\"127.0.0.?,::*\" " + k);
  ok("from= with a positive host name (never matches, not an error)",
     "from=\"host.example.com\" " + k);
  ok("a far expiry-time", "expiry-time=\"99991231\" " + k);
  ok("an escaped quote in environment=", "environment=\"A=\\\"b\\\"\" " + k);
  ok("a comma and blank inside a quoted value",
     "permitopen=\"a:1, b:2\",no-pty " + k);

  skip("bad base64", "ssh-ed25519 !!!!notbase64", "does not parse");
  skip("base64 of garbage", "ssh-ed25519 AAAAB3NzaC1yc2E=", "does not parse");
  skip("a truncated blob", "\x01T\x01", "does not parse");
  skip("an ed25519 blob called ssh-rsa", "ssh-rsa " + bl, "does not parse");
  skip("an ed25519 blob called ecdsa-sha2-nistp256",
       "ecdsa-sha2-nistp256 " + bl, "does not parse");
  skip("an ed25519 blob called a certificate",
       "ssh-ed25519-cert-v01@openssh.com " + bl, "does not parse");
  skip("a base64 blob of 200000 bytes",
       "ssh-ed25519 " + std::string(200000, 'A'), "does not parse");
  skip("a NUL inside the base64",
       "ssh-ed25519 AAAAC3Nz" + std::string(1, '\0') + "aC1lZDI1NTE5",
       "NUL byte");
  // A NUL would end the type or the base64 early where they are read as C
  // strings (ssh_key_type_from_name, ssh_pki_import_pubkey_base64).
  skip("a NUL inside the key type", std::string("ssh-ed25519\0junk ", 17) + bl,
       "NUL byte");
  skip("a NUL right after the base64", k + std::string("\0junk", 5),
       "NUL byte");
  skip("the key type alone", "ssh-ed25519", "no key after the key type");
  skip("the key type and blanks", "ssh-ed25519   \t",
       "no key after the key type");
  skip("an unknown key type", "ssh-foo " + bl, "unknown option at column 1");
  skip("a key type in capitals", "SSH-ED25519 " + bl, "unknown option");
  skip("an unknown option", "no-such-option " + k,
       "unknown option at column 1");
  skip("command=", "command=\"/bin/sh\" " + k, "forced command");
  skip("cert-authority", "cert-authority " + k, "certificates are not");
  skip("principals=", "principals=\"alice\" " + k, "certificates are not");
  skip("from= without quotes", "from=127.0.0.1 " + k, "double quotes");
  skip("from= with an unbalanced quote", "from=\"127.0.0.1 " + k,
       "unterminated quote");
  skip("an escaped quote that leaves the value open",
       "environment=\"a\\\" " + k, "unterminated quote");
  skip("from= empty", "from=\"\" " + k, "empty pattern");
  skip("from= with an empty item", "from=\"127.0.0.1,,::1\" " + k,
       "empty pattern");
  skip("from= a /33 block", "from=\"10.0.0.0/33\" " + k,
       "from= pattern 1: not an address");
  skip("from= wildcards and a prefix", "from=\"10.*/8\" " + k,
       "wildcards and a /prefix do not mix");
  skip("from= a negated host name", "from=\"!evil.example.com\" " + k,
       "needs DNS");
  skip("from= a malformed address", "from=\"1.2.3.4.5\" " + k,
       "from= pattern 1: not an address");
  skip("from= without a value", "from " + k, "needs a value");
  skip("restrict with a value", "restrict=\"yes\" " + k, "takes no value");
  skip("expiry-time garbage", "expiry-time=\"soon\" " + k,
       "is not YYYYMMDD[HHMM[SS]][Z]");
  skip("expiry-time month 13", "expiry-time=\"20301301\" " + k,
       "is not YYYYMMDD");
  skip("expiry-time 30 February", "expiry-time=\"20300230\" " + k,
       "is not YYYYMMDD");
  skip("expiry-time before 1970", "expiry-time=\"19691231\" " + k,
       "is not YYYYMMDD");
  skip("expiry-time of 10 digits", "expiry-time=\"2030010112\" " + k,
       "is not YYYYMMDD");
  skip("expiry-time with a sign", "expiry-time=\"+2030010\" " + k,
       "is not YYYYMMDD");
  skip("expiry-time 25:00", "expiry-time=\"203001012500Z\" " + k,
       "is not YYYYMMDD");
  skip("expiry-time empty", "expiry-time=\"\" " + k, "is not YYYYMMDD");
  skip("a leading comma", ",restrict " + k, "option syntax error");
  skip("two commas", "restrict,,no-pty " + k, "option syntax error");
  skip("a semicolon between options", "restrict;no-pty " + k,
       "option syntax error at column 9");
  skip("options and no key", "restrict,no-pty", "no key after the options");
  skip("non-UTF-8 bytes where options go", "\xff\xfe " + k,
       "option syntax error at column 1");
  skip("a NUL where options go", std::string("\0restrict ", 10) + k,
       "NUL byte");
  skip("an ESC sequence in an option name is not echoed",
       "no-pty,\x1b[31mevil " + k, "option syntax error at column 8");
  skip(
      "100000 from= patterns",
      [] {
        std::string s = "from=\"";
        for (int i = 0; i < 100000; ++i) s += "127.0.0.1,";
        return s + "bad/99\" ";
      }() +
          k,
      "from= pattern");
  return r;
}

// The row's line with K, B and T (a truncated blob) filled in.
std::string Fill(std::string line, const Key& key) {
  line = testing::ReplaceAll(line, "\x01K\x01", key.Line());
  line = testing::ReplaceAll(line,
                             "\x01"
                             "B\x01",
                             key.blob);
  return testing::ReplaceAll(
      line, "\x01T\x01",
      "ssh-ed25519 " + key.blob.substr(0, key.blob.size() / 2));
}

}  // namespace

// For the count in hostile_test.cc.
std::vector<std::pair<std::string, size_t>> ConfigAndKeyTableSizes() {
  return {{"ConfigRows", ConfigRows().size()},
          {"ConfigFileRows", ConfigFileRows().size()},
          {"KeyRows", KeyRows().size()}};
}

namespace {

// Checks one row; true when it is a valid text.
bool CheckConfigRow(const ConfigRow& row) {
  INFO("row: " << row.name);
  LoadResult r = ParseConfig(row.text, "hostile.toml");
  CHECK(r.config.has_value() == r.errors.empty());
  std::string all;
  for (const ConfigError& e : r.errors) {
    all += "\n  " + e.ToString().substr(0, 200);
  }
  INFO("errors:" << all);
  if (row.line == 0) {
    CHECK(r.errors.empty());
    return true;
  }
  if (r.errors.empty()) {
    FAIL_CHECK("loaded without an error");
    return false;
  }
  bool found = false;
  for (const ConfigError& e : r.errors) {
    if (e.file == "hostile.toml" && e.line == row.line && e.key == row.key &&
        e.message.find(row.message) != std::string::npos) {
      found = true;
      // ToString names all of it: file, line, key.
      std::string s = e.ToString();
      CHECK(s.rfind("hostile.toml:" + std::to_string(row.line) + ":", 0) == 0);
      if (!row.key.empty()) CHECK(s.find(row.key) != std::string::npos);
    }
  }
  CHECK(found);
  return false;
}

TEST_CASE("hostile: config texts give errors naming line and key, or load",
          "[hostile]") {
  std::vector<ConfigRow> rows = ConfigRows();
  size_t valid = 0, checked = 0;
  for (const ConfigRow& row : rows) {
    ++checked;
    valid += CheckConfigRow(row);
  }
  CHECK(valid >= 5);
  CHECK(checked - valid >= 5 * valid);
}

TEST_CASE("hostile: config files that are no ordinary config", "[hostile]") {
  for (const FileRow& row : ConfigFileRows()) {
    INFO("row: " << row.name);
    testing::TempDir dir;
    std::string path = row.make(dir);
    LoadResult r = LoadConfig(path);
    if (row.message.empty()) {
      CHECK(r.errors.empty());
      continue;
    }
    REQUIRE_FALSE(r.errors.empty());
    CHECK(r.errors[0].file == path);
    CHECK_THAT(r.errors[0].ToString(), Catch::Contains(row.message));
  }
}

void CheckKeyRow(const KeyRow& row) {
  INFO("row: " << row.name);
  const Address local = *Address::Parse("127.0.0.1");
  Key key;
  // Between a comment and a valid line, so the line number is checked.
  Key other;
  std::string text =
      "# keys\n" + Fill(row.line, key) + "\n" + other.Line() + "\n";
  AuthorizedKeys keys;
  std::vector<SkippedLine> skipped = keys.Add(text, "/hostile/keys");
  std::string all;
  for (const SkippedLine& s : skipped) {
    all += "\n  " + std::to_string(s.line) + ": " + s.reason;
  }
  INFO("skipped:" << all);
  CHECK(keys.Accepts(other.key, local, time(nullptr)).line == 3);
  if (row.reason.empty()) {
    CHECK(skipped.empty());
    CHECK(keys.size() == 2);
    return;
  }
  CHECK(keys.size() == 1);
  CHECK_FALSE(keys.Accepts(key.key, local, time(nullptr)).granted);
  if (skipped.size() != 1) {
    FAIL_CHECK("not skipped exactly once");
    return;
  }
  CHECK(skipped[0].line == 2);
  CHECK_THAT(skipped[0].reason, Catch::Contains(row.reason));
  // Reasons go to logs: printable and bounded whatever the line held.
  CHECK(skipped[0].reason.size() <= 260);
  for (char c : skipped[0].reason) {
    CHECK((static_cast<unsigned char>(c) >= 0x20 &&
           static_cast<unsigned char>(c) < 0x7f));
  }
}

TEST_CASE("hostile: authorized_keys lines are accepted or skipped with why",
          "[hostile]") {
  size_t accepted = 0, checked = 0;
  for (const KeyRow& row : KeyRows()) {
    ++checked;
    accepted += row.reason.empty();
    CheckKeyRow(row);
  }
  CHECK(accepted >= 10);
  CHECK(checked - accepted >= 2 * accepted);
}

}  // namespace
}  // namespace hostile
}  // namespace sftpd

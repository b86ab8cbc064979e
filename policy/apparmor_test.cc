#include "policy/apparmor.h"

#include <catch2/catch.hpp>
#include <sstream>
#include <vector>

#include "config/testing.h"
#include "policy/golden.h"

namespace sftpd::policy {
namespace {

using testing::ReplaceAll;
using testing::TempDir;

// The accounts the example config is shown with: alice by name, bob and
// carol through group staff, dave in no entry.
const std::vector<Account> kExampleAccounts = {
    {"alice", "/home/alice", {"alice"}},
    {"bob", "/home/bob", {"bob", "staff"}},
    {"carol", "/srv/homes/carol", {"carol", "staff", "audio"}},
    {"dave", "/home/dave", {"dave", "audio"}},
};

// The profile for `text` (whose export paths live under `dir`), with `dir`
// shown as `shown`.
std::string Generate(const TempDir& dir, const std::string& text,
                     std::span<const Account> accounts,
                     const std::string& shown = "/srv") {
  const LoadResult r = ParseConfig(text, "test.toml");
  REQUIRE(r.config.has_value());
  return ReplaceAll(
      AppArmorProfile(*r.config, accounts, "/etc/sftpd/sftpd.toml"), dir.path(),
      shown);
}

// The lines of `profile` from "^NAME {" to the hat's closing brace.
std::vector<std::string> HatLines(const std::string& profile,
                                  const std::string& name) {
  std::istringstream in(profile);
  std::vector<std::string> lines;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line == "  ^\"" + name + "\" {") inside = true;
    if (inside) lines.push_back(line);
    if (inside && line == "  }") break;
  }
  return lines;
}

bool Has(const std::vector<std::string>& lines, const std::string& line) {
  for (const std::string& l : lines) {
    if (l == line) return true;
  }
  return false;
}

size_t CountContaining(const std::vector<std::string>& lines,
                       const std::string& part) {
  size_t n = 0;
  for (const std::string& l : lines) n += l.find(part) != std::string::npos;
  return n;
}

// The example config/sftpd.toml with its export trees made under `dir`.
std::string ExampleConfig(const TempDir& dir) {
  dir.MakeDir("users");
  dir.MakeDir("shared");
  dir.MakeDir("archive");
  return ReplaceAll(testing::ReadExampleConfig(), "/srv/sftpd", dir.path());
}

TEST_CASE("apparmor: the shipped profile is the example config's",
          "[golden][policy][apparmor]") {
  TempDir dir;
  const std::string text = ExampleConfig(dir);
  CheckGoldenFile("deploy/apparmor/usr.sbin.sftpd",
                  Generate(dir, text, kExampleAccounts, "/srv/sftpd"));
}

TEST_CASE("apparmor: the package's profile is its config's",
          "[golden][policy][apparmor]") {
  TempDir dir;
  CheckGoldenFile("deploy/debian/usr.sbin.sftpd",
                  Generate(dir, ReadFile(SourcePath("deploy/debian/sftpd.toml")),
                           {}));
}

// Paths with spaces and glob characters, %h, audit_writes, a user whose
// export cannot expand, a user name with a dot.
std::string EdgeConfig(const TempDir& dir) {
  dir.MakeDir("odd name [x]/*");
  dir.MakeDir("ro");
  return "[audit]\nlog = \"\"\n"
         "[policy]\naudit_writes = true\n"
         "[exports.home]\npath = \"%h/files\"\nowner_only = true\n"
         "[exports.odd]\npath = \"" +
         dir.path() +
         "/odd name [x]/*\"\n"
         "[exports.ro]\npath = \"" +
         dir.path() +
         "/ro\"\naccess = \"ro\"\nowner_only = true\n"
         "[users.\"j.doe\"]\nexports = [\"home\", \"odd\", \"ro\"]\n"
         "[users.nohome]\nexports = [\"home\"]\n";
}

TEST_CASE("apparmor: odd paths, audit_writes and unusable users",
          "[golden][policy][apparmor]") {
  TempDir dir;
  const std::vector<Account> accounts = {
      {"j.doe", "/home/j.doe", {"users"}},
      {"nohome", "", {"users"}},
  };
  CheckGolden("apparmor-edge.profile",
              Generate(dir, EdgeConfig(dir), accounts));
}

TEST_CASE("apparmor: each hat holds only its user's exports") {
  TempDir dir;
  const std::string text = ExampleConfig(dir);
  const std::string profile = Generate(dir, text, kExampleAccounts);
  CHECK(profile.find("profile sftpd /usr{,/local}/{s,}bin/sftpd {") !=
        std::string::npos);
  CHECK(profile.find("#   groups.staff: bob, carol\n") != std::string::npos);

  const auto alice = HatLines(profile, "alice");
  const auto bob = HatLines(profile, "bob");
  REQUIRE(!alice.empty());
  REQUIRE(!bob.empty());
  CHECK(HatLines(profile, "dave").empty());

  SECTION("owner_only rw: owner rules on the user's own tree only") {
    CHECK(Has(alice, "    \"/srv/users/alice/\" r,"));
    CHECK(Has(alice, "    owner \"/srv/users/alice/**\" rwkl,"));
    CHECK(CountContaining(alice, "/users/bob") == 0);
    CHECK(CountContaining(bob, "/users/alice") == 0);
    CHECK(Has(bob, "    owner \"/srv/users/bob/**\" rwkl,"));
  }
  SECTION("shared rw: the same rights without owner") {
    CHECK(Has(alice, "    \"/srv/shared/**\" rwkl,"));
    CHECK(CountContaining(alice, "owner \"/srv/shared") == 0);
  }
  SECTION("ro: read and list only, and only for who has it") {
    CHECK(Has(alice, "    \"/srv/archive/\" r,"));
    CHECK(Has(alice, "    \"/srv/archive/**\" r,"));
    CHECK(CountContaining(bob, "/archive") == 0);  // staff has no archive
  }
  SECTION("every export rule is r, rwkl, or an owner rwkl") {
    for (const auto* hat : {&alice, &bob}) {
      for (const std::string& l : *hat) {
        if (l.find("\"/srv/") == std::string::npos) continue;
        const bool ok = l.ends_with("\" r,") || l.ends_with("\" rwkl,");
        INFO(l);
        CHECK(ok);
      }
    }
  }
  SECTION("authorized_keys of granted users only, homes expanded") {
    CHECK(profile.find("  \"/srv/homes/carol/.ssh/authorized_keys\" r,") !=
          std::string::npos);
    CHECK(profile.find("/etc/sftpd/authorized_keys/alice\" r,") !=
          std::string::npos);
    CHECK(profile.find("/home/dave") == std::string::npos);
  }
}

TEST_CASE("apparmor: audit_writes puts writes in audit rules") {
  TempDir dir;
  const std::string profile =
      Generate(dir, EdgeConfig(dir),
               std::vector<Account>{{"j.doe", "/home/j.doe", {"x"}}});
  const auto hat = HatLines(profile, "j.doe");
  REQUIRE(!hat.empty());
  CHECK(Has(hat, "    owner \"/home/j.doe/files/**\" rk,"));
  CHECK(Has(hat, "    audit owner \"/home/j.doe/files/**\" wl,"));
  // Read-only stays read-only, owner_only or not.
  CHECK(Has(hat, "    owner \"/srv/ro/**\" r,"));
  CHECK(CountContaining(hat, "/srv/ro/**\" w") == 0);
  // Glob characters and spaces in a path are literal.
  CHECK(Has(hat, "    audit \"/srv/odd name \\[x\\]/\\*/**\" wl,"));
}

TEST_CASE("apparmor: text in comments cannot start a line of its own") {
  TempDir dir;
  const LoadResult r = ParseConfig(ExampleConfig(dir), "test.toml");
  REQUIRE(r.config.has_value());
  const std::string profile = AppArmorProfile(
      *r.config, kExampleAccounts, "/etc/x\n/** rwx,\n/etc/sftpd.toml");
  CHECK(profile.find("\n/** rwx,") == std::string::npos);
  CHECK(profile.find("# /etc/x?/** rwx,?/etc/sftpd.toml.\n") !=
        std::string::npos);
  // In a rule the same bytes are escaped, and match only themselves.
  CHECK(
      profile.find("  \"/etc/x\\x0a/\\*\\* rwx,\\x0a/etc/sftpd.toml\" r,\n") !=
      std::string::npos);
}

TEST_CASE("apparmor: a user whose exports do not expand gets no hat") {
  TempDir dir;
  const std::string profile = Generate(
      dir, EdgeConfig(dir), std::vector<Account>{{"nohome", "", {"users"}}});
  CHECK(HatLines(profile, "nohome").empty());
  CHECK(profile.find("# No hat for nohome: export home") != std::string::npos);
}

}  // namespace
}  // namespace sftpd::policy

// SshdMatchBlocks(): golden files, and the properties sshd's first-match
// rule needs (each refusal the exact complement of its allow).
#include "policy/sshd.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "policy/golden.h"

namespace sftpd::policy {
namespace {

Config Parse(const std::string& name) {
  LoadResult r = ParseConfig(ReadTestdata(name), name);
  for (const ConfigError& e : r.errors) UNSCOPED_INFO(e.ToString());
  REQUIRE(r.config);
  return *r.config;
}

// The accounts of policy/testdata/sshd.toml as a system might know them:
// carol is named by the config but absent, zed is present but not named.
const std::vector<Account> kAccounts = {
    {"alice", "/home/alice", {"alice", "staff"}},
    {"bob", "/home/bob", {"bob", "staff"}},
    {"dave", "/home/dave", {"dave"}},
    {"erin", "/home/erin", {"erin", "ops"}},
    {"zed", "/home/zed", {"zed", "users"}},
};

const SshdTarget kDefaultTarget = {"/usr/sbin/sftpd", kDefaultConfigPath};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string item; std::getline(in, item, sep);) out.push_back(item);
  return out;
}

// A Match block as printed: its criteria and its keyword lines.
struct Block {
  std::string user;     // "Match User X ..."; empty otherwise
  std::string address;  // the Address list; empty when none
  std::vector<std::string> body;
};

std::vector<Block> Blocks(const std::string& text) {
  std::vector<Block> out;
  for (const std::string& line : Lines(text)) {
    if (line.rfind("Match ", 0) == 0) {
      const std::vector<std::string> w = Split(line, ' ');
      Block b;
      for (size_t i = 1; i + 1 < w.size(); i += 2) {
        if (w[i] == "User") b.user = w[i + 1];
        if (w[i] == "Address") b.address = w[i + 1];
      }
      out.push_back(b);
    } else if (line.rfind('\t', 0) == 0) {
      REQUIRE(!out.empty());
      out.back().body.push_back(line.substr(1));
    }
  }
  return out;
}

bool Has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST_CASE("sshd blocks: golden, users by entry, group, both, any address",
          "[policy][sshd][golden]") {
  const Config config = Parse("sshd.toml");
  CheckGolden("sshd.golden",
              SshdMatchBlocks(config, kAccounts, kDefaultTarget).text);
}

TEST_CASE("sshd blocks: golden, IPv6 and a config outside /etc",
          "[policy][sshd][golden]") {
  const Config config = Parse("sshd_ipv6.toml");
  const std::vector<Account> accounts = {{"v6all", "/h", {"v6all"}},
                                         {"v6host", "/h", {"v6host"}}};
  CheckGolden("sshd_ipv6.golden",
              SshdMatchBlocks(config, accounts,
                              {"/opt/sftpd/bin/sftpd", "/srv/conf/sftpd.toml"})
                  .text);
}

// The accounts of policy/testdata/sshd_shells.toml.
const std::vector<Account> kShellAccounts = {
    {"basher", "/tmp/basher", {"basher"}, "/bin/bash"},
    {"shelled", "/tmp/shelled", {"shelled"}, "/usr/sbin/sftpd"},
    {"zed", "/tmp/zed", {"zed"}, "/usr/bin/zsh"},
    {"plain", "/tmp/plain", {"plain"}, ""},
    {"locked", "/tmp/locked", {"locked"}, "/usr/sbin/nologin"},
    {"mate", "/tmp/mate", {"mate", "team"}, "/bin/bash"},
};

TEST_CASE("sshd blocks: golden, login shells that read the user's files",
          "[policy][sshd][golden]") {
  const Config config = Parse("sshd_shells.toml");
  const SshdBlocks blocks =
      SshdMatchBlocks(config, kShellAccounts, kDefaultTarget);
  CHECK(blocks.error.empty());
  CheckGolden("sshd_shells.golden", blocks.text);
  // The same warnings on the side, for the command to print; each also in
  // the text, above its user's blocks.
  REQUIRE(blocks.warnings.size() == 3);
  CHECK(blocks.warnings[0].starts_with("user basher: login shell /bin/bash "));
  CHECK(blocks.warnings[1].starts_with("user mate: login shell /bin/bash "));
  CHECK(blocks.warnings[2].starts_with("user plain: login shell /bin/sh "));
  for (const std::string& w : blocks.warnings) {
    INFO(w);
    CHECK(blocks.text.find("# WARNING: " + w + "\n") != std::string::npos);
  }
  // Off the default config, sftpd as the login shell serves from the
  // default one whatever ForceCommand says: said for each such user.
  const SshdBlocks other = SshdMatchBlocks(
      config, kShellAccounts, {"/usr/sbin/sftpd", "/srv/conf/sftpd.toml"});
  REQUIRE(other.warnings.size() == 4);
  CHECK(other.warnings[3] ==
        "user shelled: login shell /usr/sbin/sftpd serves every session with "
        "/etc/sftpd/sftpd.toml, not /srv/conf/sftpd.toml (sftpd -c takes no "
        "--config)");
  CHECK(other.text.find("# WARNING: " + other.warnings[3] + "\n") !=
        std::string::npos);
  // A served block is the same with or without the warning.
  for (const Block& b : Blocks(blocks.text)) {
    if (Has(b.body, "DenyUsers *")) continue;
    CHECK(b.body.front() == "ForceCommand /usr/sbin/sftpd --stdio");
  }
}

TEST_CASE("sshd blocks: ForceCommand, and --config only off the default",
          "[policy][sshd]") {
  const Config config = Parse("sshd.toml");
  const std::string def =
      SshdMatchBlocks(config, kAccounts, kDefaultTarget).text;
  for (const Block& b : Blocks(def)) {
    if (Has(b.body, "DenyUsers *")) continue;
    CHECK(b.body.front() == "ForceCommand /usr/sbin/sftpd --stdio");
    CHECK(Has(b.body, "DisableForwarding yes"));
    CHECK(Has(b.body, "PermitTTY no"));
    CHECK(Has(b.body, "X11Forwarding no"));
    CHECK(Has(b.body, "PermitUserRC no"));
    CHECK(Has(b.body, "IgnoreRhosts yes"));
  }
  const std::string other =
      SshdMatchBlocks(config, kAccounts, {"/usr/sbin/sftpd", "/etc/x.toml"})
          .text;
  CHECK(other.find("\tForceCommand /usr/sbin/sftpd --stdio --config "
                   "/etc/x.toml\n") != std::string::npos);
  CHECK(other.find("from /etc/x.toml.") != std::string::npos);
}

TEST_CASE("sshd blocks: each refusal is the exact complement of the allow",
          "[policy][sshd]") {
  const Config config = Parse("sshd.toml");
  const std::vector<Block> blocks =
      Blocks(SshdMatchBlocks(config, kAccounts, kDefaultTarget).text);
  std::map<std::string, std::string> allowed, refused;
  for (const Block& b : blocks) {
    if (b.user.empty()) continue;
    auto& slot = Has(b.body, "DenyUsers *") ? refused : allowed;
    CHECK(slot.count(b.user) == 0);
    slot[b.user] = b.address;
  }
  // Everyone granted, and carol by name; zed is named nowhere.
  CHECK(allowed.size() == 5);
  CHECK(allowed.count("zed") == 0);
  for (const auto& [user, address] : refused) {
    INFO(user);
    REQUIRE(allowed.count(user) == 1);
    std::string negated = "*";
    for (const std::string& p : Split(allowed[user], ',')) negated += ",!" + p;
    CHECK(address == negated);
  }
  // The union: alice has her own networks and staff's.
  CHECK(allowed["alice"] ==
        "192.168.1.0/24,2001:db8::/32,192.0.2.7/32,fd00::/8");
  // Any address from group ops beats erin's own list: never refused.
  CHECK(allowed["erin"].empty());
  CHECK(refused.count("erin") == 0);
  CHECK(refused.count("dave") == 0);
  CHECK(allowed["carol"] == "10.0.0.0/8");
  CHECK(refused["carol"] == "*,!10.0.0.0/8");
}

TEST_CASE("sshd blocks: ::/0 also covers IPv4 for sshd", "[policy][sshd]") {
  const Config config = Parse("sshd_ipv6.toml");
  const std::vector<Account> accounts = {{"v6all", "/h", {"v6all"}}};
  const std::string out =
      SshdMatchBlocks(config, accounts, kDefaultTarget).text;
  CHECK(out.find("Match User v6all Address ::/0,0.0.0.0/0\n") !=
        std::string::npos);
  CHECK(out.find("Match User v6all Address *,!::/0,!0.0.0.0/0\n") !=
        std::string::npos);
}

TEST_CASE("sshd blocks: paths are quoted or refused", "[policy][sshd]") {
  const Config config = Parse("sshd.toml");
  const std::string spaced =
      SshdMatchBlocks(config, kAccounts,
                      {"/opt/my tools/sftpd", "/etc/sftpd/my conf.toml"})
          .text;
  CHECK(SshdMatchBlocks(config, kAccounts, kDefaultTarget).error.empty());
  CHECK(spaced.find("\tForceCommand '/opt/my tools/sftpd' --stdio --config "
                    "'/etc/sftpd/my conf.toml'\n") != std::string::npos);

  // A quote or a newline cannot be written safely: nobody is served, every
  // name is refused, and no line escapes its comment.
  for (const SshdTarget& bad :
       {SshdTarget{"/opt/it's/sftpd", kDefaultConfigPath},
        SshdTarget{"/usr/sbin/sftpd", "/etc/x\nForceCommand /bin/sh"},
        SshdTarget{"sftpd", kDefaultConfigPath}}) {
    INFO(bad.sftpd_path << " " << bad.config_path);
    const SshdBlocks blocks = SshdMatchBlocks(config, kAccounts, bad);
    CHECK_FALSE(blocks.error.empty());
    const std::string& out = blocks.text;
    CHECK(out.find("\tForceCommand") == std::string::npos);
    CHECK(out.find("# ERROR: ") != std::string::npos);
    CHECK(out.find("Match User alice,carol,dave,erin\n\tDenyUsers *\n") !=
          std::string::npos);
    CHECK(out.find("Match Group staff,ops\n\tDenyUsers *\n") !=
          std::string::npos);
    for (const std::string& line : Lines(out)) {
      INFO(line);
      CHECK((line.empty() || line[0] == '#' || line.rfind("Match ", 0) == 0 ||
             line.rfind("\tDenyUsers *", 0) == 0));
    }
  }
}

TEST_CASE("sshd blocks: groups serve members not known yet, last",
          "[policy][sshd]") {
  const Config config = Parse("sshd.toml");
  const std::vector<Block> blocks =
      Blocks(SshdMatchBlocks(config, kAccounts, kDefaultTarget).text);
  REQUIRE(!blocks.empty());
  // After every user's blocks, so it never decides for a known user.
  CHECK(blocks.back().user.empty());
  CHECK(blocks.back().address.empty());
  CHECK(blocks.back().body.front() == "ForceCommand /usr/sbin/sftpd --stdio");
  const std::string out =
      SshdMatchBlocks(config, kAccounts, kDefaultTarget).text;
  CHECK(out.find("\nMatch Group staff,ops\n") != std::string::npos);
}

}  // namespace
}  // namespace sftpd::policy

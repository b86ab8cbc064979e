#include "policy/account.h"

#include <catch2/catch.hpp>
#include <vector>

#include "config/testing.h"

namespace sftpd::policy {
namespace {

TEST_CASE("account: grantees are the users an entry names, sorted, once") {
  testing::TempDir dir;
  dir.MakeDir("a");
  dir.MakeDir("b");
  const LoadResult r = ParseConfig(
      "[exports.a]\npath = \"" + dir.path() + "/a\"\n" +
          "[exports.b]\npath = \"" + dir.path() + "/b\"\n" +
          "[users.zed]\nexports = [\"a\"]\nallow_from = [\"10.0.0.0/8\"]\n"
          "[groups.staff]\nexports = [\"b\"]\nallow_from = [\"::1\"]\n",
      "t.toml");
  REQUIRE(r.config.has_value());
  const std::vector<Account> accounts = {
      {"zed", "/home/zed", {"zed", "staff"}},
      {"amy", "/home/amy", {"amy", "staff"}},
      {"out", "/home/out", {"out"}},
      {"amy", "/home/amy", {"amy", "staff"}},  // listed twice
  };
  const std::vector<Grantee> g = Grantees(*r.config, accounts);
  REQUIRE(g.size() == 2);
  CHECK(g[0].account->name == "amy");
  CHECK(g[0].rights.table_names == std::vector<std::string>{"groups.staff"});
  CHECK(g[0].rights.exports.size() == 1);
  CHECK(g[1].account->name == "zed");
  CHECK(g[1].rights.table_names == std::vector<std::string>{"users.zed", "groups.staff"});
  // The union of both entries: two exports, both address lists.
  CHECK(g[1].rights.exports.size() == 2);
  CHECK(g[1].rights.allow_from.size() == 2);
  CHECK_FALSE(g[1].rights.any_address);
}

TEST_CASE("account: which login shells run no file the user could write") {
  for (const char* shell :
       {"/usr/sbin/sftpd", "/usr/local/sbin/sftpd", "sftpd",
        "/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false"}) {
    INFO(shell);
    CHECK(ShellReadsNoUserFiles(shell));
  }
  for (const char* shell :
       {"", "/bin/sh", "/bin/bash", "/usr/bin/zsh", "/usr/bin/fish",
        "/opt/sftpd/bin/sftpd-wrapper", "/usr/sbin/sftpd/"}) {
    INFO(shell);
    CHECK_FALSE(ShellReadsNoUserFiles(shell));
  }
}

TEST_CASE(
    "account: a shell is exposed by a read-write export at or above "
    "the home") {
  testing::TempDir dir;
  const std::string base = dir.MakeDir("srv");
  dir.MakeDir("srv/users");
  const LoadResult r =
      ParseConfig("[exports.home]\npath = \"" + base +
                      "/users/%u\"\n"
                      "[exports.top]\npath = \"" +
                      base +
                      "/\"\n"
                      "[exports.sub]\npath = \"%h/data\"\n"
                      "[exports.ro]\npath = \"%h\"\naccess = \"ro\"\n"
                      "[exports.near]\npath = \"" +
                      base +
                      "/users/%u-old\"\n"
                      "[users.own]\nexports = [\"sub\", \"ro\", \"home\"]\n"
                      "[users.safe]\nexports = [\"sub\", \"ro\", \"near\"]\n"
                      "[users.sftp]\nexports = [\"home\"]\n"
                      "[users.homeless]\nexports = [\"top\"]\n"
                      "[groups.all]\nexports = [\"top\"]\n",
                  "t.toml");
  for (const ConfigError& e : r.errors) UNSCOPED_INFO(e.ToString());
  REQUIRE(r.config.has_value());
  const std::string users = base + "/users/";
  const std::vector<Account> accounts = {
      {"own", users + "own", {"own"}, "/bin/bash"},
      {"safe", users + "safe", {"safe"}, "/bin/bash"},
      {"sftp", users + "sftp", {"sftp"}, "/usr/sbin/sftpd"},
      {"homeless", "", {"homeless"}, "/bin/bash"},
      // A member of group all, home written with a trailing slash.
      {"member", users + "member/", {"member", "all"}, "/usr/bin/zsh"},
      {"elsewhere", "/home/elsewhere", {"elsewhere", "all"}, "/bin/bash"},
  };
  const std::vector<ShellExposure> x = ExposedShells(*r.config, accounts);
  REQUIRE(x.size() == 2);
  CHECK(x[0].account->name == "member");
  CHECK(x[0].via->name == "top");
  CHECK(x[0].host_path == base + "/");
  CHECK(x[1].account->name == "own");
  CHECK(x[1].via->name == "home");
  CHECK(x[1].host_path == users + "own");
  const std::string w = ExposureWarning(x[1], "/usr/sbin/sftpd");
  CHECK(w.starts_with("user own: login shell /bin/bash "));
  CHECK(w.find("export home (" + users + "own)") != std::string::npos);
  CHECK(w.ends_with("usermod -s /usr/sbin/sftpd own"));
}

TEST_CASE(
    "account: warnings, by name: sftpd as the shell off the default "
    "config, ~/.pam_environment") {
  testing::TempDir dir;
  dir.MakeDir("u");
  const LoadResult r = ParseConfig("[exports.home]\npath = \"" + dir.path() +
                                       "/u/%u\"\n"
                                       "[groups.g]\nexports = [\"home\"]\n",
                                   "t.toml");
  REQUIRE(r.config.has_value());
  const std::string u = dir.path() + "/u/";
  const std::vector<Account> accounts = {
      {"zoe", u + "zoe", {"g"}, "/bin/bash"},
      {"amy", u + "amy", {"g"}, "/bin/zsh"},
      {"sam", u + "sam", {"g"}, "/usr/local/sbin/sftpd"},
      {"out", u + "out", {"out"}, "/bin/bash"},  // granted nothing
  };
  auto names = [](const std::vector<AccountWarning>& ws) {
    std::string out;
    for (const AccountWarning& w : ws) out += w.account->name + " ";
    return out;
  };
  CHECK(names(AccountWarnings(*r.config, accounts, kDefaultConfigPath,
                              "/usr/sbin/sftpd")) == "amy zoe ");
  const std::vector<AccountWarning> off =
      AccountWarnings(*r.config, accounts, "/srv/s.toml", "/usr/sbin/sftpd");
  REQUIRE(names(off) == "amy sam zoe ");
  CHECK(off[1].text ==
        "user sam: login shell /usr/local/sbin/sftpd serves every session "
        "with /etc/sftpd/sftpd.toml, not /srv/s.toml (sftpd -c takes no "
        "--config)");
  // sshd's PAM reading ~/.pam_environment exposes every writable home,
  // sftpd as the shell or not.
  const std::vector<AccountWarning> pam = AccountWarnings(
      *r.config, accounts, kDefaultConfigPath, "/usr/sbin/sftpd", true);
  REQUIRE(names(pam) == "amy amy sam zoe zoe ");
  CHECK(pam[2].text.starts_with(
      "user sam: sshd's PAM stack reads ~/.pam_environment"));
  CHECK(pam[2].text.ends_with("remove user_readenv=1 from /etc/pam.d/sshd"));
}

TEST_CASE("account: which PAM files read users' ~/.pam_environment") {
  // Debian 12's /etc/pam.d/sshd, in part.
  CHECK(PamReadsUserEnvironment(
      "session    required     pam_env.so # [1]\n"
      "session    required     pam_env.so user_readenv=1 "
      "envfile=/etc/default/locale\n"));
  CHECK(PamReadsUserEnvironment(
      "session required /lib/security/pam_env.so user_readenv=1"));
  CHECK_FALSE(PamReadsUserEnvironment(
      "session    required     pam_env.so # [1]\n"
      "session    required     pam_env.so envfile=/etc/default/locale\n"));
  CHECK_FALSE(PamReadsUserEnvironment(
      "# session required pam_env.so user_readenv=1\n"));
  CHECK_FALSE(
      PamReadsUserEnvironment("session required pam_env.so user_readenv=0\n"));
  CHECK_FALSE(PamReadsUserEnvironment(""));
}

}  // namespace
}  // namespace sftpd::policy

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
  CHECK(g[0].via == std::vector<std::string>{"groups.staff"});
  CHECK(g[0].rights.exports.size() == 1);
  CHECK(g[1].account->name == "zed");
  CHECK(g[1].via == std::vector<std::string>{"users.zed", "groups.staff"});
  // The union of both entries: two exports, both address lists.
  CHECK(g[1].rights.exports.size() == 2);
  CHECK(g[1].rights.allow_from.size() == 2);
  CHECK_FALSE(g[1].rights.any_address);
}

}  // namespace
}  // namespace sftpd::policy

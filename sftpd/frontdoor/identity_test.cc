#include "sftpd/frontdoor/identity.h"

#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <catch2/catch.hpp>

namespace sftpd {
namespace {

TEST_CASE("identity: the peer comes from SSH_CONNECTION, else SSH_CLIENT") {
  struct Case {
    const char* connection;
    const char* client;
    std::string text;  // expected Peer::text, or "" for an error
    int port;
  };
  const Case cases[] = {
      {"127.0.0.1 51022 127.0.0.1 22", nullptr, "127.0.0.1:51022", 51022},
      {"::1 40000 ::1 2222", nullptr, "[::1]:40000", 40000},
      {"2001:db8::7 1 2001:db8::1 22", nullptr, "[2001:db8::7]:1", 1},
      {"::ffff:127.0.0.2 65535 ::ffff:127.0.0.1 22", nullptr, "127.0.0.2:65535",
       65535},
      {"fe80::1%eth0 5000 fe80::2%eth0 22", nullptr, "[fe80::1]:5000", 5000},
      // SSH_CONNECTION wins; SSH_CLIENT is used only when it is absent.
      {"127.0.0.1 1000 127.0.0.1 22", "127.0.0.9 2000 22", "127.0.0.1:1000",
       1000},
      {nullptr, "127.0.0.9 2000 22", "127.0.0.9:2000", 2000},
      {"", "::1 2001 22", "[::1]:2001", 2001},
      // Junk.
      {"127.0.0.1 51022 127.0.0.1", nullptr, "", 0},
      {"127.0.0.1 51022 127.0.0.1 22 x", nullptr, "", 0},
      {"127.0.0.1  51022 127.0.0.1 22", nullptr, "", 0},
      {" 127.0.0.1 51022 127.0.0.1 22", nullptr, "", 0},
      {"127.0.0.1 51022 127.0.0.1 22 ", nullptr, "", 0},
      {"localhost 51022 127.0.0.1 22", nullptr, "", 0},
      {"127.0.0.256 51022 127.0.0.1 22", nullptr, "", 0},
      {"127.0.0.1 0 127.0.0.1 22", nullptr, "", 0},
      {"127.0.0.1 65536 127.0.0.1 22", nullptr, "", 0},
      {"127.0.0.1 -1 127.0.0.1 22", nullptr, "", 0},
      {"127.0.0.1 +22 127.0.0.1 22", nullptr, "", 0},
      {"127.0.0.1 22x 127.0.0.1 22", nullptr, "", 0},
      {"127.0.0.1 51022 nothost 22", nullptr, "", 0},
      {"127.0.0.1 51022 127.0.0.1 ssh", nullptr, "", 0},
      {"fe80::1% 5000 ::1 22", nullptr, "", 0},
      {"127.0.0.1%lo 5000 ::1 22", nullptr, "", 0},
      {"127.0.0.1\n51022 127.0.0.1 22", nullptr, "", 0},
      // A malformed SSH_CONNECTION is not rescued by a good SSH_CLIENT.
      {"junk", "127.0.0.9 2000 22", "", 0},
      {nullptr, "127.0.0.9 2000", "", 0},
      {nullptr, "127.0.0.9 2000 22 1", "", 0},
  };
  for (const Case& c : cases) {
    INFO("SSH_CONNECTION=" << (c.connection ? c.connection : "(null)")
                           << " SSH_CLIENT="
                           << (c.client ? c.client : "(null)"));
    auto peer = PeerFromSsh(c.connection, c.client);
    if (c.text.empty()) {
      CHECK_FALSE(peer.ok());
      if (!peer.ok()) CHECK(peer.error().find("malformed SSH_") == 0);
      continue;
    }
    REQUIRE(peer.ok());
    CHECK(peer->text == c.text);
    CHECK(peer->port == c.port);
    REQUIRE(peer->address.has_value());
  }

  auto v6 = PeerFromSsh("::1 40000 ::1 22", nullptr);
  REQUIRE(v6.ok());
  CHECK(*v6->address == *Address::Parse("::1"));
  CHECK_FALSE(v6->address->IsV4());
  auto v4 = PeerFromSsh(nullptr, "127.0.0.9 2000 22");
  REQUIRE(v4.ok());
  CHECK(*v4->address == *Address::Parse("127.0.0.9"));
  CHECK(v4->address->IsV4());
}

TEST_CASE("identity: no SSH variables means a local peer") {
  for (auto [connection, client] :
       {std::pair<const char*, const char*>{nullptr, nullptr},
        {"", ""},
        {nullptr, ""},
        {"", nullptr}}) {
    auto peer = PeerFromSsh(connection, client);
    REQUIRE(peer.ok());
    CHECK_FALSE(peer->address.has_value());
    CHECK(peer->port == 0);
    CHECK(peer->text == "local");
  }
}

TEST_CASE("identity: root is looked up by uid and by name") {
  auto root = LookUpUser(uid_t{0});
  REQUIRE(root.ok());
  CHECK(root->name == "root");
  CHECK(root->uid == 0);
  CHECK(root->gid == 0);
  CHECK(root->home == "/root");
  REQUIRE_FALSE(root->groups.empty());
  CHECK(root->groups.front() == "root");

  auto by_name = LookUpUser(std::string_view("root"));
  REQUIRE(by_name.ok());
  CHECK(by_name->uid == 0);
  CHECK(by_name->home == "/root");
  CHECK(by_name->groups == root->groups);
}

TEST_CASE("identity: nobody's groups match the group database") {
  auto nobody = LookUpUser(std::string_view("nobody"));
  REQUIRE(nobody.ok());
  CHECK(nobody->name == "nobody");
  CHECK(nobody->uid != 0);
  const struct group* primary = getgrgid(nobody->gid);
  REQUIRE(primary != nullptr);
  REQUIRE_FALSE(nobody->groups.empty());
  CHECK(nobody->groups.front() == primary->gr_name);
  // Every group listed once.
  auto sorted = nobody->groups;
  std::sort(sorted.begin(), sorted.end());
  CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());

  auto by_uid = LookUpUser(nobody->uid);
  REQUIRE(by_uid.ok());
  CHECK(by_uid->name == "nobody");
  CHECK(by_uid->home == nobody->home);
  CHECK(by_uid->groups == nobody->groups);
}

TEST_CASE("identity: unknown users are errors") {
  auto missing = LookUpUser(std::string_view("sftpd-no-such-user-x9"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().find("sftpd-no-such-user-x9") != std::string::npos);
  CHECK_FALSE(LookUpUser(std::string_view("")).ok());
  CHECK_FALSE(LookUpUser(std::string_view("root\0x", 6)).ok());

  // Find a uid nobody has, without assuming one.
  uid_t unused = 54321;
  for (int k = 0; k < 1000 && getpwuid(unused) != nullptr; ++k) ++unused;
  REQUIRE(getpwuid(unused) == nullptr);
  auto none = LookUpUser(unused);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error() == "no user with uid " + std::to_string(unused));
}

}  // namespace
}  // namespace sftpd

namespace sftpd {
namespace {

TEST_CASE("identity: named users are looked up once, groups expanded") {
  const std::vector<std::string> users = {"root", "no-such-user-sftpd"};
  const std::vector<std::string> groups = {"root", "no-such-group-sftpd"};
  const NamedUsers named = LookUpNamedUsers(users, groups);
  // root is named, and a member of group root (its primary group): once.
  REQUIRE(named.users.size() >= 1);
  CHECK(std::count_if(named.users.begin(), named.users.end(),
                      [](const UserInfo& u) { return u.name == "root"; }) == 1);
  for (const UserInfo& u : named.users) {
    INFO(u.name);
    CHECK((u.name == "root" || u.gid == 0 ||
           std::find(u.groups.begin(), u.groups.end(), "root") !=
               u.groups.end()));
  }
  CHECK(named.missing == std::vector<std::string>{"user no-such-user-sftpd",
                                                  "group no-such-group-sftpd"});
}

}  // namespace
}  // namespace sftpd

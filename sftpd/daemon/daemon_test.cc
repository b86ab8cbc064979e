#include <fcntl.h>
#include <libssh/libssh.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "config/testing.h"
#include "sftpd/daemon/authorized_keys.h"
#include "sftpd/daemon/connection_table.h"
#include "sftpd/daemon/host_keys.h"
#include "sftpd/daemon/listen.h"

namespace sftpd {
namespace {

TEST_CASE("daemon: processes making one missing host key at once agree") {
  testing::TempDir dir;
  const std::string path = dir.path() + "/host_key";
  // Six processes released together, each loading the missing key.
  int gate[2];
  REQUIRE(pipe(gate) == 0);
  std::vector<pid_t> pids;
  for (int i = 0; i < 6; ++i) {
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(gate[1]);
      char c;
      (void)!read(gate[0], &c, 1);  // until the parent closes its end
      ssh_bind bind = ssh_bind_new();
      if (bind == nullptr) _exit(2);
      const Result<void> added = AddHostKey(bind, path);
      if (!added) fprintf(stderr, "%s\n", added.error().c_str());
      _exit(added ? 0 : 1);
    }
    pids.push_back(pid);
  }
  close(gate[0]);
  close(gate[1]);
  for (pid_t pid : pids) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  }
  struct stat st;
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  // Nothing but the key is left: no process's own copy.
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    INFO(entry.path());
    CHECK(entry.path() == path);
    ++files;
  }
  CHECK(files == 1);
}

TEST_CASE("daemon: listen addresses are host:port or [ipv6]:port") {
  Result<ListenAddress> a = ParseListenAddress("127.0.0.1:2222");
  REQUIRE(a.ok());
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 2222);
  a = ParseListenAddress("[::]:22");
  REQUIRE(a.ok());
  CHECK(a->host == "::");
  CHECK(a->port == 22);
  a = ParseListenAddress("[2001:db8::1]:65535");
  REQUIRE(a.ok());
  CHECK(a->host == "2001:db8::1");
  for (const char* bad :
       {"127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
        "127.0.0.1:22x", ":22", "::1:22", "[::1]22", "[::1]", "[]:22", ""}) {
    INFO(bad);
    CHECK_FALSE(ParseListenAddress(bad).ok());
  }
}

Config Parsed(const std::string& text) {
  LoadResult r = ParseConfig(text, "test.toml");
  if (!r.config) {
    for (const ConfigError& e : r.errors) FAIL(e.ToString());
  }
  REQUIRE(r.config);
  return *r.config;
}

Address Addr(const char* text) { return *Address::Parse(text); }

TEST_CASE("daemon: the listener admits the union of every allow_from") {
  const std::string exports =
      "[exports.tmp]\npath = \"/tmp\"\naccess = \"ro\"\n";
  Config both = Parsed(exports +
                       "[users.alice]\nexports = [\"tmp\"]\n"
                       "allow_from = [\"10.0.0.0/8\"]\n"
                       "[groups.staff]\nexports = [\"tmp\"]\n"
                       "allow_from = [\"192.0.2.7\", \"2001:db8::/32\"]\n");
  Rights f = ListenerFilter(both);
  CHECK_FALSE(f.any_address);
  CHECK(f.Allows(Addr("10.1.2.3")));
  CHECK(f.Allows(Addr("192.0.2.7")));
  CHECK(f.Allows(Addr("2001:db8::5")));
  CHECK_FALSE(f.Allows(Addr("192.0.2.8")));
  CHECK_FALSE(f.Allows(Addr("127.0.0.1")));
  CHECK_FALSE(f.Allows(Addr("2001:db9::5")));

  // One entry without allow_from opens the listener to every address.
  Config open = Parsed(exports +
                       "[users.alice]\nexports = [\"tmp\"]\n"
                       "allow_from = [\"10.0.0.0/8\"]\n"
                       "[users.bob]\nexports = [\"tmp\"]\n");
  CHECK(ListenerFilter(open).any_address);
  CHECK(ListenerFilter(open).Allows(Addr("203.0.113.1")));

  Config nobody = Parsed(exports);
  CHECK_FALSE(ListenerFilter(nobody).Allows(Addr("127.0.0.1")));
}

TEST_CASE("daemon: the connection table caps children per address") {
  using Admission = ConnectionTable::Admission;
  ConnectionTable table({.max_total = 5,
                         .max_per_address = 2,
                         .max_startups = 5,
                         .max_per_user = 5});
  const Address a = Addr("192.0.2.1"), b = Addr("2001:db8::1");
  CHECK(table.Check(a) == Admission::kAdmit);
  table.Add(100, a);
  CHECK(table.Check(a) == Admission::kAdmit);
  table.Add(101, a);
  CHECK(table.Check(a) == Admission::kTooManyFromAddress);
  CHECK(table.CountFrom(a) == 2);
  // Another address is counted on its own; an IPv4 peer seen as mapped
  // IPv6 is the same address.
  CHECK(table.Check(b) == Admission::kAdmit);
  CHECK(table.Check(Addr("::ffff:192.0.2.1")) ==
        Admission::kTooManyFromAddress);
  CHECK(table.Check(Addr("192.0.2.2")) == Admission::kAdmit);
  // A reaped child frees its slot; an unknown pid changes nothing.
  CHECK_FALSE(table.Forget(999));
  CHECK(table.size() == 2);
  CHECK(table.Forget(100));
  CHECK_FALSE(table.Forget(100));
  CHECK(table.size() == 1);
  CHECK(table.CountFrom(a) == 1);
  CHECK(table.Check(a) == Admission::kAdmit);
}

TEST_CASE("daemon: the connection table caps children in total") {
  using Admission = ConnectionTable::Admission;
  ConnectionTable table({.max_total = 3,
                         .max_per_address = 2,
                         .max_startups = 3,
                         .max_per_user = 3});
  const Address a = Addr("192.0.2.1"), b = Addr("192.0.2.2");
  table.Add(10, a);
  table.Add(11, b);
  table.Add(12, b);
  // The total wins over the per-address count, even for a new address.
  CHECK(table.Check(Addr("198.51.100.7")) == Admission::kTooMany);
  CHECK(table.Check(b) == Admission::kTooMany);
  std::vector<pid_t> pids = table.Pids();
  std::sort(pids.begin(), pids.end());
  CHECK(pids == std::vector<pid_t>{10, 11, 12});
  CHECK(table.Forget(11));
  CHECK(table.Check(Addr("198.51.100.7")) == Admission::kAdmit);
  CHECK(table.Check(b) == Admission::kAdmit);
  CHECK(table.Check(a) == Admission::kAdmit);
}

TEST_CASE("daemon: connection limits come from [server]") {
  ServerSection server;
  server.max_connections = 7;
  server.max_connections_per_address = 3;
  server.max_startups = 2;
  server.max_sessions_per_user = 4;
  server.max_startups_begin = 1;
  server.max_startups_rate = 30;
  server.max_startups_per_address = 5;
  ConnectionLimits limits = ConnectionLimits::Of(server);
  CHECK(limits.max_total == 7);
  CHECK(limits.max_per_address == 3);
  CHECK(limits.max_startups == 2);
  CHECK(limits.max_per_user == 4);
  CHECK(limits.startups_begin == 1);
  CHECK(limits.startups_rate == 30);
  CHECK(limits.max_startups_per_address == 5);
}

TEST_CASE("daemon: the connection table caps connections not yet admitted") {
  using Admission = ConnectionTable::Admission;
  ConnectionTable table({.max_total = 10,
                         .max_per_address = 10,
                         .max_startups = 2,
                         .max_per_user = 5});
  const Address a = Addr("192.0.2.1");
  table.Add(10, a);
  table.Add(11, a);
  CHECK(table.CountStartups() == 2);
  CHECK(table.Check(a) == Admission::kTooManyStartups);
  CHECK(table.Check(Addr("192.0.2.9")) == Admission::kTooManyStartups);
  // An admitted session no longer counts as a startup.
  CHECK(table.Admit(10, "alice"));
  CHECK(table.CountStartups() == 1);
  CHECK(table.Check(a) == Admission::kAdmit);
  // A child is admitted once; unknown pids and empty names never.
  CHECK_FALSE(table.Admit(10, "bob"));
  CHECK_FALSE(table.Admit(99, "bob"));
  CHECK_FALSE(table.Admit(11, ""));
  CHECK(table.CountUser("alice") == 1);
  CHECK(table.CountUser("bob") == 0);
}

TEST_CASE("daemon: a startup is dropped early as sshd's start:rate:full says") {
  // 10:30:100, OpenSSH's default.
  const ConnectionLimits l{
      .max_startups = 100, .startups_begin = 10, .startups_rate = 30};
  for (uint32_t draw : {0u, 50u, 99u}) {
    CHECK_FALSE(DropsStartup(l, 0, draw));
    CHECK_FALSE(DropsStartup(l, 9, draw));
    CHECK(DropsStartup(l, 100, draw));
    CHECK(DropsStartup(l, 5000, draw));
  }
  // At start: rate %, so draws 0..29 drop and 30..99 do not.
  CHECK(DropsStartup(l, 10, 29));
  CHECK_FALSE(DropsStartup(l, 10, 30));
  // Halfway (55 of 10..100): 30 + 70 * 45 / 90 = 65 %.
  CHECK(DropsStartup(l, 55, 64));
  CHECK_FALSE(DropsStartup(l, 55, 65));
  // Just below full: 30 + 70 * 89 / 90 = 99 %.
  CHECK(DropsStartup(l, 99, 98));
  CHECK_FALSE(DropsStartup(l, 99, 99));
  // The share of draws dropped rises with the startups, never falls.
  size_t last = 0;
  for (size_t startups = 0; startups <= 100; ++startups) {
    size_t dropped = 0;
    for (uint32_t draw = 0; draw < 100; ++draw) {
      dropped += DropsStartup(l, startups, draw) ? 1 : 0;
    }
    INFO(startups);
    CHECK(dropped >= last);
    last = dropped;
  }
  CHECK(last == 100);
  // A plain cap (N:100:N, and the defaults of ConnectionLimits): nothing
  // below it is dropped, everything from it on.
  const ConnectionLimits cap{
      .max_startups = 10, .startups_begin = 10, .startups_rate = 100};
  CHECK_FALSE(DropsStartup(cap, 9, 0));
  CHECK(DropsStartup(cap, 10, 99));
  CHECK_FALSE(DropsStartup(ConnectionLimits{.max_startups = 10}, 9, 0));
  // rate 100 below full: every draw drops from start on.
  const ConnectionLimits hard{
      .max_startups = 10, .startups_begin = 5, .startups_rate = 100};
  CHECK_FALSE(DropsStartup(hard, 4, 0));
  CHECK(DropsStartup(hard, 5, 99));
}

TEST_CASE("daemon: the connection table draws for the early drop only") {
  using Admission = ConnectionTable::Admission;
  std::vector<uint32_t> draws;  // scripted, taken from the back
  int drawn = 0;
  ConnectionTable table({.max_total = 100,
                         .max_per_address = 100,
                         .max_startups = 4,
                         .max_per_user = 100,
                         .startups_begin = 2,
                         .startups_rate = 50},
                        [&] {
                          ++drawn;
                          REQUIRE_FALSE(draws.empty());
                          uint32_t d = draws.back();
                          draws.pop_back();
                          return d;
                        });
  const Address a = Addr("192.0.2.1"), b = Addr("192.0.2.2");
  CHECK(table.Check(a) == Admission::kAdmit);
  table.Add(1, a);
  table.Add(2, b);
  CHECK(drawn == 0);  // below start: no draw
  // 2 startups (start): 50 %; 3: 50 + 50 * 1 / 2 = 75 %.
  draws = {50, 49};
  CHECK(table.Check(a) == Admission::kStartupDropped);
  CHECK(table.Check(a) == Admission::kAdmit);
  table.Add(3, a);
  draws = {75, 74};
  CHECK(table.Check(b) == Admission::kStartupDropped);
  CHECK(table.Check(b) == Admission::kAdmit);
  table.Add(4, b);
  // Full: refused without a draw.
  CHECK(table.Check(b) == Admission::kTooManyStartups);
  CHECK(drawn == 4);
  // Admitted sessions are not startups: below start again, no draw.
  CHECK(table.Admit(1, "alice"));
  CHECK(table.Admit(2, "bob"));
  CHECK(table.Admit(3, "carol"));
  CHECK(table.CountStartups() == 1);
  CHECK(table.Check(a) == Admission::kAdmit);
  CHECK(drawn == 4);
}

TEST_CASE("daemon: one address gets only its share of the startups") {
  using Admission = ConnectionTable::Admission;
  ConnectionTable table({.max_total = 100,
                         .max_per_address = 100,
                         .max_startups = 10,
                         .max_per_user = 100,
                         .max_startups_per_address = 3},
                        [] { return 0u; });
  const Address hog = Addr("192.0.2.5"), other = Addr("192.0.2.6");
  for (pid_t pid = 1; pid <= 3; ++pid) {
    CHECK(table.Check(hog) == Admission::kAdmit);
    table.Add(pid, hog);
  }
  CHECK(table.CountStartupsFrom(hog) == 3);
  CHECK(table.Check(hog) == Admission::kTooManyStartupsFromAddress);
  CHECK(table.Check(Addr("::ffff:192.0.2.5")) ==
        Admission::kTooManyStartupsFromAddress);
  CHECK(table.Check(other) == Admission::kAdmit);
  // Once one of them has logged in, the address may start another.
  CHECK(table.Admit(1, "alice"));
  CHECK(table.CountStartupsFrom(hog) == 2);
  CHECK(table.Check(hog) == Admission::kAdmit);
  // The per-address cap comes before the total of startups.
  for (pid_t pid = 10; pid < 17; ++pid) table.Add(pid, Addr("198.51.100.1"));
  CHECK(table.CountStartups() == 9);
  table.Add(4, hog);
  CHECK(table.Check(hog) == Admission::kTooManyStartupsFromAddress);
  CHECK(table.Check(other) == Admission::kTooManyStartups);
}

TEST_CASE("daemon: the connection table caps sessions per user") {
  ConnectionTable table({.max_total = 10,
                         .max_per_address = 10,
                         .max_startups = 10,
                         .max_per_user = 2});
  const Address a = Addr("192.0.2.1"), b = Addr("192.0.2.2");
  for (pid_t pid : {20, 21, 22, 23}) table.Add(pid, pid < 22 ? a : b);
  CHECK(table.Admit(20, "alice"));
  CHECK(table.Admit(21, "alice"));
  // The third from another address still counts against the user's cap.
  CHECK_FALSE(table.Admit(22, "alice"));
  CHECK(table.CountStartups() == 2);
  CHECK(table.Admit(22, "bob"));
  // Lower limits from a reload apply to new admissions only.
  table.set_limits({.max_total = 10,
                    .max_per_address = 10,
                    .max_startups = 10,
                    .max_per_user = 1});
  CHECK(table.CountUser("alice") == 2);
  CHECK_FALSE(table.Admit(23, "bob"));
  CHECK(table.Forget(20));
  CHECK(table.Forget(21));
  CHECK(table.Admit(23, "alice"));
}

TEST_CASE("daemon: listen lists compared as sets of sockets") {
  using V = std::vector<std::string>;
  CHECK(SameListenAddresses(V{"0.0.0.0:22", "[::]:22"},
                            V{"0.0.0.0:22", "[::]:22"}));
  CHECK(SameListenAddresses(V{"0.0.0.0:22", "[::]:22"},
                            V{"[::]:22", "0.0.0.0:22", "[::]:22"}));
  CHECK(SameListenAddresses(V{"[::1]:2222"}, V{"[0:0::1]:2222"}));
  CHECK(SameListenAddresses(V{"127.0.0.1:22"}, V{"127.0.0.1:022"}));
  CHECK_FALSE(SameListenAddresses(V{"127.0.0.1:22"}, V{"127.0.0.1:2222"}));
  CHECK_FALSE(SameListenAddresses(V{"127.0.0.1:22"}, V{"127.0.0.2:22"}));
  CHECK_FALSE(
      SameListenAddresses(V{"127.0.0.1:22"}, V{"127.0.0.1:22", "[::1]:22"}));
  CHECK(SameListenAddresses(V{"localhost:22"}, V{"localhost:22"}));
  CHECK_FALSE(SameListenAddresses(V{"bogus"}, V{"bogus2"}));
}

}  // namespace
}  // namespace sftpd

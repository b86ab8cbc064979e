// The control socket's pieces: answer lines read back, requests, the
// listener's socket (mode, directory, stale and live sockets), the peer's
// uid, and a client against a stand-in listener.
#include "sftpd/control/control.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "config/testing.h"
#include "sftpd/audit/record.h"

namespace sftpd {
namespace {

using testing::TempDir;

TEST_CASE("control: a live session reads back as an audit line") {
  LiveSession s{.id = "0123456789abcdef",
                .pid = 4242,
                .user = "alice",
                .uid = 1000,
                .address = "192.0.2.7",
                .port = 50022,
                .since_us = 1795444564123456,
                .bytes_read = 10,
                .bytes_written = 1 << 30,
                .current = "/shared/big\nfile"};
  AuditRecord r;
  REQUIRE(ParseAuditLine(FormatLiveSession(s, "session"), &r).ok());
  CHECK(r.op == "session");
  CHECK(r.session == s.id);
  CHECK(r.user == "alice");
  CHECK(r.uid == 1000);
  CHECK(r.address == "192.0.2.7");
  CHECK(r.port == 50022);
  CHECK(r.time_us == s.since_us);
  CHECK(r.bytes_read == 10);
  CHECK(r.bytes_written == 1 << 30);
  CHECK(r.path == "/shared/big\nfile");
  CHECK(r.detail == "pid 4242");
}

TEST_CASE("control: requests") {
  CHECK(ParseControlRequest("sessions")->verb ==
        ControlRequest::Verb::kSessions);
  std::optional<ControlRequest> k = ParseControlRequest("kick alice");
  REQUIRE(k);
  CHECK(k->verb == ControlRequest::Verb::kKick);
  CHECK(k->target == "alice");
  CHECK(FormatControlRequest(*k) == "kick alice");
  CHECK(FormatControlRequest(ControlRequest{}) == "sessions");
  using V = ControlRequest::Verb;
  for (const auto& [text, verb] : {std::pair{"status", V::kStatus},
                                   {"reload", V::kReload},
                                   {"bans", V::kBans}}) {
    std::optional<ControlRequest> r = ParseControlRequest(text);
    REQUIRE(r);
    CHECK(r->verb == verb);
    CHECK(FormatControlRequest(*r) == text);
  }
  std::optional<ControlRequest> u = ParseControlRequest("unban 2001:db8::/64");
  REQUIRE(u);
  CHECK(u->verb == V::kUnban);
  CHECK(u->target == "2001:db8::/64");
  CHECK(FormatControlRequest(*u) == "unban 2001:db8::/64");
  for (const char* bad :
       {"", "session", "sessions ", "kick", "kick ", "kick a b", "kick a\tb",
        "KICK alice", "stop", "status x", "reload ", "unban", "unban ",
        "unban a b", "bans --json", "kickalice", "unban\t1.2.3.4"}) {
    INFO(bad);
    CHECK_FALSE(ParseControlRequest(bad));
  }
}

TEST_CASE("control: the listener's socket") {
  TempDir dir;
  const std::string path = dir.path() + "/run/control.sock";
  Result<Fd> fd = ListenControl(path);
  REQUIRE(fd.ok());
  struct stat st;
  REQUIRE(lstat(path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(stat((dir.path() + "/run").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  // One that answers belongs to a running daemon.
  Result<Fd> second = ListenControl(path);
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().find("is in use") != std::string::npos);
  // One left by a daemon that is gone is replaced.
  fd->Reset();
  Result<Fd> again = ListenControl(path);
  CHECK(again.ok());
  // Anything else at the path is an error.
  std::ofstream(dir.path() + "/file") << "x";
  Result<Fd> file = ListenControl(dir.path() + "/file");
  REQUIRE_FALSE(file.ok());
  CHECK(file.error().find("is not a socket") != std::string::npos);
  // A directory others may write to, or another user's, is refused: its
  // socket could be swapped under the daemon.
  const std::string open_dir = dir.path() + "/open";
  REQUIRE(mkdir(open_dir.c_str(), 0700) == 0);
  REQUIRE(chmod(open_dir.c_str(), 01777) == 0);
  Result<Fd> shared = ListenControl(open_dir + "/control.sock");
  REQUIRE_FALSE(shared.ok());
  CHECK(shared.error().find("mode 1777") != std::string::npos);
  REQUIRE(chmod(open_dir.c_str(), 0755) == 0);
  CHECK(ListenControl(open_dir + "/control.sock").ok());
  if (geteuid() == 0) {
    REQUIRE(chown(open_dir.c_str(), 65534, 65534) == 0);
    Result<Fd> theirs = ListenControl(open_dir + "/other.sock");
    REQUIRE_FALSE(theirs.ok());
    CHECK(theirs.error().find("uid 65534") != std::string::npos);
  }
  // Nor a link to a directory.
  REQUIRE(symlink((dir.path() + "/run").c_str(),
                  (dir.path() + "/link").c_str()) == 0);
  Result<Fd> linked = ListenControl(dir.path() + "/link/control.sock");
  REQUIRE_FALSE(linked.ok());
  CHECK(linked.error().find("is not a directory") != std::string::npos);
  CHECK_FALSE(ListenControl("relative.sock").ok());
  CHECK_FALSE(ListenControl("/" + std::string(200, 'x')).ok());
}

TEST_CASE("control: the peer's uid") {
  int fds[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  Fd a(fds[0]), b(fds[1]);
  CHECK(PeerUid(a.get()) == getuid());
  CHECK_FALSE(PeerUid(-1));
}

TEST_CASE("control: a client against a stand-in listener") {
  TempDir dir;
  const std::string path = dir.path() + "/control.sock";
  Result<Fd> listening = ListenControl(path);
  REQUIRE(listening.ok());
  // Accepts one client, reads its line, answers `answer` and closes.
  auto serve = [&](std::string answer, std::string* got) {
    return std::thread([&listening, answer, got] {
      int c = -1;
      for (int i = 0; i < 200 && c < 0; ++i) {
        c = accept(listening->get(), nullptr, nullptr);
        if (c < 0) usleep(10000);
      }
      if (c < 0) return;
      char ch;
      while (recv(c, &ch, 1, 0) == 1 && ch != '\n') *got += ch;
      send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
      close(c);
    });
  };
  std::string got;
  std::thread t = serve("line one\nline two\n", &got);
  Result<std::vector<std::string>> lines =
      AskDaemon(path, ControlRequest{ControlRequest::Verb::kKick, "bob"}, 5000);
  t.join();
  REQUIRE(lines.ok());
  CHECK(got == "kick bob");
  CHECK(*lines == std::vector<std::string>{"line one", "line two"});

  got.clear();
  t = serve("error: root only\n", &got);
  lines = AskDaemon(path, ControlRequest{}, 5000);
  t.join();
  REQUIRE_FALSE(lines.ok());
  CHECK(lines.error() == "the daemon says: root only");

  // A listener that never answers: a bounded wait.
  lines = AskDaemon(path, ControlRequest{}, 100);
  REQUIRE_FALSE(lines.ok());
  CHECK(lines.error() == "no answer from the daemon");

  listening->Reset();
  unlink(path.c_str());
  lines = AskDaemon(path, ControlRequest{}, 100);
  REQUIRE_FALSE(lines.ok());
  CHECK(lines.error().find("cannot reach the daemon") == 0);
}

}  // namespace
}  // namespace sftpd

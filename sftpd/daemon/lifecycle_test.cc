// sd_notify datagrams to real sockets (a path and an abstract name), and
// the pid file's rules.
#include "sftpd/daemon/lifecycle.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "config/testing.h"
#include "sftpd/base/fd.h"

namespace sftpd {
namespace {

using testing::TempDir;

// A datagram socket bound to `name` (a path, or "@..." abstract).
Fd Bound(const std::string& name) {
  Fd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd.valid());
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, name.data(), name.size());
  socklen_t len = socklen_t(offsetof(sockaddr_un, sun_path) + name.size());
  if (name[0] == '@') {
    addr.sun_path[0] = '\0';
  } else {
    len += 1;
  }
  REQUIRE(bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) == 0);
  return fd;
}

std::string Receive(const Fd& fd) {
  pollfd p{fd.get(), POLLIN, 0};
  if (poll(&p, 1, 2000) != 1) return "(nothing)";
  char buf[512];
  const ssize_t n = recv(fd.get(), buf, sizeof buf, 0);
  return n < 0 ? "(error)" : std::string(buf, size_t(n));
}

TEST_CASE("lifecycle: sd_notify to a socket path and an abstract name") {
  TempDir dir;
  const std::string path = dir.path() + "/notify";
  Fd at_path = Bound(path);
  REQUIRE(Notify(path, "READY=1\nSTATUS=serving"));
  CHECK(Receive(at_path) == "READY=1\nSTATUS=serving");

  const std::string abstract = "@sftpd-test-notify-" + std::to_string(getpid());
  Fd at_name = Bound(abstract);
  REQUIRE(Notify(abstract, "STOPPING=1"));
  CHECK(Receive(at_name) == "STOPPING=1");

  CHECK_FALSE(Notify("relative", "READY=1"));
  CHECK_FALSE(Notify("@", "READY=1"));
  CHECK_FALSE(Notify("", "READY=1"));
  CHECK_FALSE(Notify("/" + std::string(200, 'x'), "READY=1"));
  CHECK_FALSE(Notify(dir.path() + "/nobody-listens", "READY=1"));
}

TEST_CASE("lifecycle: NOTIFY_SOCKET is taken from the environment") {
  setenv("NOTIFY_SOCKET", "@x", 1);
  CHECK(TakeNotifySocket() == "@x");
  CHECK(getenv("NOTIFY_SOCKET") == nullptr);
  CHECK(TakeNotifySocket().empty());
}

TEST_CASE("lifecycle: the pid file") {
  TempDir dir;
  const std::string run = dir.path() + "/run";
  REQUIRE(mkdir(run.c_str(), 0700) == 0);
  Result<std::string> path = WritePidFile(run);
  REQUIRE(path.ok());
  CHECK(*path == run + "/sftpd.pid");
  CHECK(ReadPidFile(*path) == getpid());
  struct stat st;
  REQUIRE(lstat(path->c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);

  // Another daemon's file is left alone; ours is removed.
  RemovePidFile(*path, getpid() + 1);
  CHECK(ReadPidFile(*path) == getpid());
  RemovePidFile(*path, getpid());
  CHECK(access(path->c_str(), F_OK) != 0);

  // A symlink planted at its name is replaced, not followed.
  const std::string victim = dir.path() + "/victim";
  std::ofstream(victim) << "keep\n";
  REQUIRE(symlink(victim.c_str(), path->c_str()) == 0);
  CHECK_FALSE(ReadPidFile(*path));
  REQUIRE(WritePidFile(run).ok());
  std::ifstream in(victim);
  std::string text;
  std::getline(in, text);
  CHECK(text == "keep");
  REQUIRE(lstat(path->c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));

  // A directory others may write, or reached through a symlink: refused.
  REQUIRE(chmod(run.c_str(), 0777) == 0);
  CHECK_FALSE(WritePidFile(run).ok());
  REQUIRE(chmod(run.c_str(), 0700) == 0);
  const std::string link = dir.path() + "/link";
  REQUIRE(symlink(run.c_str(), link.c_str()) == 0);
  CHECK_FALSE(WritePidFile(link).ok());
  CHECK_FALSE(WritePidFile(dir.path() + "/missing").ok());

  std::ofstream(run + "/bad") << "12x\n";
  CHECK_FALSE(ReadPidFile(run + "/bad"));
}

}  // namespace
}  // namespace sftpd

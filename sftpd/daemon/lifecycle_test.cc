// sd_notify datagrams to real sockets (a path and an abstract name), and
// the pid file's rules.
#include "sftpd/daemon/lifecycle.h"

#include <fcntl.h>
#include <netinet/in.h>
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

TEST_CASE("lifecycle: the socket count systemd passes, for this process only") {
  CHECK(*ListenFdCount(nullptr, nullptr, 42) == 0);
  CHECK(*ListenFdCount("42", nullptr, 42) == 0);
  CHECK(*ListenFdCount(nullptr, "2", 42) == 0);
  CHECK(*ListenFdCount("42", "2", 42) == 2);
  CHECK(*ListenFdCount("42", "0", 42) == 0);
  // Meant for another process (the one that started us, say): not ours.
  CHECK(*ListenFdCount("41", "2", 42) == 0);
  for (const char* bad : {"", "x", "-1", "2 ", "65", "99999999999999999999"}) {
    INFO(bad);
    const Result<int> count = ListenFdCount("42", bad, 42);
    REQUIRE_FALSE(count.ok());
    CHECK(count.error().find("LISTEN_FDS") != std::string::npos);
  }
  CHECK_FALSE(ListenFdCount("4x", "1", 42).ok());
  CHECK_FALSE(ListenFdCount("", "1", 42).ok());
}

TEST_CASE("lifecycle: only a listening TCP socket is taken") {
  auto tcp = [](bool listening) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    if (listening) REQUIRE(listen(fd, 1) == 0);
    return fd;
  };
  const int ok_fd = tcp(true);
  Result<Fd> taken = TakeListeningSocket(ok_fd);
  REQUIRE(taken.ok());
  CHECK(taken->get() == ok_fd);
  CHECK((fcntl(ok_fd, F_GETFD) & FD_CLOEXEC) != 0);

  const Result<Fd> bound = TakeListeningSocket(tcp(false));
  REQUIRE_FALSE(bound.ok());
  CHECK(bound.error().find("is not listening") != std::string::npos);

  const int unix_fd = socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(unix_fd >= 0);
  const Result<Fd> local = TakeListeningSocket(unix_fd);
  REQUIRE_FALSE(local.ok());
  CHECK(local.error().find("is not a TCP socket") != std::string::npos);

  const int udp = socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(udp >= 0);
  CHECK_FALSE(TakeListeningSocket(udp).ok());

  const int file = open("/dev/null", O_RDONLY);
  REQUIRE(file >= 0);
  const Result<Fd> not_socket = TakeListeningSocket(file);
  REQUIRE_FALSE(not_socket.ok());
  CHECK(not_socket.error().find("is not a socket") != std::string::npos);
  // Each refused descriptor was closed with its Fd.
  CHECK(fcntl(file, F_GETFD) == -1);
}

}  // namespace
}  // namespace sftpd

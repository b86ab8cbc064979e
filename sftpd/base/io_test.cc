#include "sftpd/base/io.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace sftpd {
namespace {

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, size_t(n));
  return out;
}

TEST_CASE("io: WriteAll writes every byte, as text or as bytes") {
  int p[2];
  REQUIRE(pipe(p) == 0);
  CHECK(WriteAll(p[1], std::string_view("hello ")) == 0);
  const std::vector<uint8_t> bytes = {'w', 'o', 'r', 'l', 'd'};
  CHECK(WriteAll(p[1], std::span<const uint8_t>(bytes)) == 0);
  close(p[1]);
  CHECK(ReadAll(p[0]) == "hello world");
  close(p[0]);
}

TEST_CASE("io: WriteAll returns the errno of a failed write") {
  int p[2];
  REQUIRE(pipe2(p, O_CLOEXEC) == 0);
  // A descriptor that is not open: no write could succeed (a pipe with
  // no reader would raise SIGPIPE instead).
  close(p[0]);
  close(p[1]);
  CHECK(WriteAll(p[1], std::string_view("x")) == EBADF);
  CHECK(WriteAll(p[1], std::string_view()) == 0);  // nothing to write
}

TEST_CASE("io: the clocks count microseconds and move forward") {
  const int64_t wall = WallMicros();
  CHECK(wall > int64_t(1700000000) * 1000000);  // after 2023
  const int64_t a = MonotonicMicros();
  const int64_t b = MonotonicMicros();
  CHECK(b >= a);
}

TEST_CASE("io: CloseFdsExcept leaves 0-2 and the kept descriptors only") {
  // In a child: it closes everything the test process holds.
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int fds[4];
    for (int& fd : fds) fd = open("/dev/null", O_RDONLY);
    const int high = fcntl(fds[0], F_DUPFD, 200);
    CloseFdsExcept({fds[1], fds[3]});
    auto open_fd = [](int fd) { return fcntl(fd, F_GETFD) != -1; };
    const bool ok = open_fd(0) && open_fd(1) && open_fd(2) &&
                    !open_fd(fds[0]) && open_fd(fds[1]) && !open_fd(fds[2]) &&
                    open_fd(fds[3]) && !open_fd(high);
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("io: StdioToDevNull points 0 and 1, and 2 unless kept, at /dev/null") {
  for (bool keep : {false, true}) {
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int p[2];
      if (pipe(p) != 0) _exit(2);
      for (int fd = 0; fd <= 2; ++fd) dup2(p[1], fd);
      if (StdioToDevNull(keep) != 0) _exit(3);
      struct stat null_st{}, st{};
      stat("/dev/null", &null_st);
      auto is_null = [&](int fd) {
        return fstat(fd, &st) == 0 && st.st_rdev == null_st.st_rdev &&
               S_ISCHR(st.st_mode);
      };
      const bool ok = is_null(0) && is_null(1) && is_null(2) == !keep;
      _exit(ok ? 0 : 1);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
}

}  // namespace
}  // namespace sftpd

#include "sftpd/base/io.h"

#include <errno.h>
#include <fcntl.h>
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

}  // namespace
}  // namespace sftpd

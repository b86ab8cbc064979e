#include "sftpd/base/io.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

namespace sftpd {
namespace {

int64_t Micros(clockid_t clock) {
  timespec now{};
  clock_gettime(clock, &now);
  return int64_t(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
}

}  // namespace

int WriteAll(int fd, std::string_view data) {
  constexpr int kMaxShortWrites = 64;  // a file that keeps taking 0 bytes
  int short_writes = 0;
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0 || (static_cast<size_t>(n) < data.size() &&
                   ++short_writes > kMaxShortWrites)) {
      return EIO;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

int WriteAll(int fd, std::span<const uint8_t> data) {
  return WriteAll(fd,
                  std::string_view(reinterpret_cast<const char*>(data.data()),
                                   data.size()));
}

int64_t WallMicros() { return Micros(CLOCK_REALTIME); }

int64_t MonotonicMicros() { return Micros(CLOCK_MONOTONIC); }

}  // namespace sftpd

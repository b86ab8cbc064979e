#include "sftpd/base/io.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

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

void CloseFdsExcept(std::span<const int> keep) {
  std::vector<unsigned> kept;
  for (int fd : keep) {
    if (fd >= 3) kept.push_back(unsigned(fd));
  }
  std::sort(kept.begin(), kept.end());
  kept.push_back(~0U);  // the end of the last range, past every fd
  unsigned from = 3;
  for (unsigned next : kept) {
    if (next > from) {
      if (close_range(from, next == ~0U ? ~0U : next - 1, 0) != 0) {
        // A kernel before 5.9: one by one, up to the descriptor limit.
        rlimit limit{};
        getrlimit(RLIMIT_NOFILE, &limit);
        const rlim_t most =
            limit.rlim_cur == RLIM_INFINITY ? 65536 : limit.rlim_cur;
        const auto last = unsigned(std::min<rlim_t>(most, next));
        for (unsigned fd = from; fd < last; ++fd) close(int(fd));
      }
    }
    if (next != ~0U) from = next + 1;
  }
}

int StdioToDevNull(bool keep_stderr) {
  const int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) return errno;
  int err = 0;
  for (int fd = 0; fd <= (keep_stderr ? 1 : 2); ++fd) {
    if (fd != null && dup2(null, fd) < 0 && err == 0) err = errno;
  }
  if (null > 2) close(null);
  return err;
}

}  // namespace sftpd

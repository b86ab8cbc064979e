// Small system helpers every part uses: writing a whole buffer to a
// descriptor, the clocks in microseconds, and closing what a process was
// started with. Stateless; thread-safe, except where a function says it
// must run single-threaded.
#ifndef SFTPD_SFTPD_BASE_IO_H_
#define SFTPD_SFTPD_BASE_IO_H_

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

namespace sftpd {

// Writes all of `data` to `fd` (blocking), retrying on EINTR and after short
// writes. Returns 0, or the errno of the failure: EIO when the descriptor
// stops taking bytes (a write of 0, or more than 64 short writes in a row of
// one call), so a full or broken file cannot hold the caller forever.
[[nodiscard]] int WriteAll(int fd, std::string_view data);
[[nodiscard]] int WriteAll(int fd, std::span<const uint8_t> data);

// Microseconds since the epoch (CLOCK_REALTIME): times that are written
// down (audit lines, "since" in the daemon's status).
int64_t WallMicros();
// Microseconds on CLOCK_MONOTONIC: durations and deadlines, which must not
// jump with the wall clock.
int64_t MonotonicMicros();

// Whether this binary was built with AddressSanitizer, whose reports go to
// stderr: such a build keeps stderr where StdioToDevNull would close it.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitizerBuild = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kSanitizerBuild = true;
#else
inline constexpr bool kSanitizerBuild = false;
#endif
#else
inline constexpr bool kSanitizerBuild = false;
#endif

// Closes every descriptor from 3 up but those in `keep` (close_range(2),
// or one by one up to the descriptor limit where the kernel lacks it), so
// nothing a process was started with, or inherited across fork(), stays
// open by accident. Only single-threaded, and never with a descriptor a
// library still holds (syslog: closelog() first).
void CloseFdsExcept(std::span<const int> keep);
inline void CloseFdsExcept(std::initializer_list<int> keep = {}) {
  CloseFdsExcept(std::span<const int>(keep.begin(), keep.size()));
}

// Points stdin and stdout, and stderr unless `keep_stderr`, at /dev/null.
// Returns 0 or the errno of the failure.
[[nodiscard]] int StdioToDevNull(bool keep_stderr);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_BASE_IO_H_

// Small system helpers every part uses: writing a whole buffer to a
// descriptor, and the clocks in microseconds. Stateless; thread-safe.
#ifndef SFTPD_SFTPD_BASE_IO_H_
#define SFTPD_SFTPD_BASE_IO_H_

#include <cstdint>
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

}  // namespace sftpd

#endif  // SFTPD_SFTPD_BASE_IO_H_

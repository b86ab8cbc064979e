#include "sftpd/daemon/pacing.h"

#include <linux/tcp.h>  // tcp_info with tcpi_min_rtt
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <limits>

namespace sftpd {

std::optional<uint32_t> LinkRttMicros(int fd) {
  struct tcp_info info {};
  socklen_t len = sizeof info;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) {
    return std::nullopt;
  }
  auto has = [&](size_t offset, size_t size) { return len >= offset + size; };
  if (has(offsetof(struct tcp_info, tcpi_min_rtt), sizeof info.tcpi_min_rtt) &&
      info.tcpi_min_rtt > 0) {
    return info.tcpi_min_rtt;
  }
  if (!has(offsetof(struct tcp_info, tcpi_rtt), sizeof info.tcpi_rtt)) {
    return std::nullopt;
  }
  return info.tcpi_rtt;
}

uint64_t UnreadLimit(std::optional<uint32_t> rtt_us) {
  if (!rtt_us) return std::numeric_limits<uint64_t>::max();
  return kClientBacklog + uint64_t(*rtt_us) * kLinkBytesPerMicro;
}

uint32_t SendAllowance(uint32_t room, uint32_t window, uint64_t limit) {
  const uint64_t unread = window > room ? window - room : 0;
  if (unread >= limit) return 0;
  return uint32_t(std::min<uint64_t>(room, limit - unread));
}

uint32_t ReplyPacer::Allowance(uint32_t room, uint64_t limit,
                               Clock::time_point now) {
  // The window grew since the last look: the client gave back
  // `room - room_left_`, what it passed on in one step or a few.
  const bool grew = seen_ && room > room_left_;
  if (grew && room - room_left_ < limit && !given_up_) paced_ = true;
  window_ = std::max(window_, room);
  room_left_ = room;
  seen_ = true;
  if (!paced_) return room;
  const uint32_t allowed = SendAllowance(room, window_, limit);
  if (allowed > 0 || room == 0 || grew) {
    held_since_.reset();
  } else if (!held_since_) {
    held_since_ = now;
  } else if (now - *held_since_ >= kHeldMillis) {
    paced_ = false;
    given_up_ = true;
    held_since_.reset();
    return room;
  }
  return allowed;
}

}  // namespace sftpd

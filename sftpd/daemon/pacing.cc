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

}  // namespace sftpd

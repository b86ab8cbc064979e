// Pacing a channel's replies: how much of the client's window a channel may
// hold unread at once. Plain functions, and one value per channel; not
// thread-safe.
//
// A window says how much the client will buffer, not how fast it drains.
// Sent as fast as the window allows, OpenSSH's ssh fills its channel
// buffer for `sftp` to the whole window (2 MiB) and then grows and moves it
// with every packet: on loopback it spent twice the CPU per byte and gets of
// 64 MiB to 1 GiB took 2 to 2.5 times as long as when the server keeps
// under 512 KiB unread. Over a real link the data on the way is not in the
// client's buffers, so the limit adds what the link itself holds.
#ifndef SFTPD_SFTPD_DAEMON_PACING_H_
#define SFTPD_SFTPD_DAEMON_PACING_H_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>

namespace sftpd {

// What a client may hold unread beyond what is on the way to it.
inline constexpr uint64_t kClientBacklog = 512 * 1024;
// The link rate the allowance for the round trip assumes: 1 GB/s, so that
// from 2 ms of round trip up a 2 MiB window is used whole.
inline constexpr uint64_t kLinkBytesPerMicro = 1000;

// The round trip of the TCP connection on `fd`, in µs: the least the
// kernel has seen (tcpi_min_rtt), which the queue a transfer builds in the
// socket does not inflate (loopback: a few µs, against 250 to 400 µs
// smoothed during a get), else the smoothed one; nullopt when `fd` is not
// a TCP socket.
std::optional<uint32_t> LinkRttMicros(int fd);

// The most a channel may have sent and not yet seen acknowledged by a
// window adjust, for a link of round trip `rtt_us`: kClientBacklog and what
// the link holds at kLinkBytesPerMicro. Without a round trip (not TCP):
// no limit but the window.
uint64_t UnreadLimit(std::optional<uint32_t> rtt_us);

// How much a channel may send now: `room` is its window left, `window` the
// largest window the client has offered it (so window - room is unread),
// `limit` UnreadLimit's.
uint32_t SendAllowance(uint32_t room, uint32_t window, uint64_t limit);

// One channel's pacing. The limit applies only once the client has shown
// that it gives window back in steps under the limit (OpenSSH's ssh: every
// 96 KiB or so it passes on). A client that adjusts only when half its
// window is used (libssh, PuTTY, asyncssh) would otherwise wait for data
// the limit holds back; it gets its whole window, as before. And should a
// paced client still wait (no window back for kHeldMillis while the limit
// holds data back), the channel is never paced again.
class ReplyPacer {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kHeldMillis{100};

  // What may be sent now, with `room` of the window left.
  uint32_t Allowance(uint32_t room, uint64_t limit, Clock::time_point now);
  // `n` bytes of the allowance were sent.
  void Sent(uint32_t n) { room_left_ -= std::min(n, room_left_); }
  bool paced() const { return paced_; }

 private:
  uint32_t window_ = 0;     // the largest window seen
  uint32_t room_left_ = 0;  // the room after the last send
  bool seen_ = false;       // room_left_ is known
  bool paced_ = false;
  bool given_up_ = false;  // the client waited while paced
  std::optional<Clock::time_point> held_since_;
};

}  // namespace sftpd

#endif  // SFTPD_SFTPD_DAEMON_PACING_H_

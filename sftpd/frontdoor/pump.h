// The session pump: the input buffering between a transport and a Session,
// and the one loop that runs a Session over a transport until its input
// ends. Both front doors use it: --stdio over fds 0 and 1 (PumpSession),
// the daemon over each SSH channel (SessionPump, drained by its
// multiplexer). Plain objects and functions; not thread-safe.
#ifndef SFTPD_SFTPD_FRONTDOOR_PUMP_H_
#define SFTPD_SFTPD_FRONTDOOR_PUMP_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "config/result.h"
#include "sftpd/base/limits.h"
#include "sftpd/engine/session.h"

namespace sftpd {

// A transport as the pump sees it; each front door (fds, an SSH channel)
// supplies the two calls. read_some blocks until it has bytes and returns
// how many it stored (at least 1), 0 at a clean end of input, or an error.
// write_all writes every byte or returns why it could not.
struct PumpIo {
  std::function<Result<size_t>(std::span<uint8_t>)> read_some;
  std::function<Result<void>(std::span<const uint8_t>)> write_all;
};

// The input buffering between a transport and a Session: bytes arrive in
// pieces of any size (Room, Stored); Step hands the whole packets at the
// front to Session::Process, which appends replies to session.output().
// Each transport drains that output its own way between steps: PumpSession
// writes it at once, the daemon's multiplexer as its channel's window
// allows. Owns its buffer (room for one packet and a read's worth more,
// plus `window` bytes for a transport that lets that much arrive at once);
// the session is borrowed. Not thread-safe.
class SessionPump {
 public:
  explicit SessionPump(Session& session, size_t window = 0);
  SessionPump(const SessionPump&) = delete;
  SessionPump& operator=(const SessionPump&) = delete;

  // Where the next read stores its bytes; never empty after a Step that
  // returned 0 (only a partial packet is left then).
  std::span<uint8_t> Room() { return {in_.get() + have_, size_ - have_}; }
  // A read stored `n` bytes at the front of Room().
  void Stored(size_t n) { have_ += n; }
  // Runs the buffered whole packets through the session (up to its output
  // high-water mark) and returns how many bytes it consumed: 0 when it
  // needs more input first. An error: broken framing; the session must end.
  Result<size_t> Step();
  // The input ended: success between packets; an error ("end of input in
  // the middle of a packet") when a packet was cut off.
  Result<void> Ended() const;
  // Whether input is buffered that Step has not consumed.
  bool buffered() const { return have_ > 0; }

 private:
  static constexpr size_t kInSize = 2 * (size_t(kMaxPacket) + 4);
  Session& session_;
  size_t size_;
  std::unique_ptr<uint8_t[]> in_;
  size_t have_ = 0;
};

// Runs `session` over `io` until end of input or broken framing. Succeeds
// after a clean end; an error says why the session ended otherwise (broken
// framing, end of input mid-packet, an I/O error, read_some's or
// write_all's own error).
Result<void> PumpSession(Session& session, const PumpIo& io);

// The same over two fds (read(2)/write(2), EINTR retried), so tests can
// drive it over a socketpair. With idle_timeout > 0 the session ends after
// that many seconds without input (IdleTimeout's error); after a stop
// signal (stop_signal.h), within kStopCheckMillis, with StoppedBy's reason.
Result<void> PumpSession(Session& session, int in_fd, int out_fd,
                         int idle_timeout = 0);

// How a transport's read_some ends a session that sent nothing for
// `seconds` ([server] idle_timeout): the reason the audit trail's logout
// and the log give.
Error IdleTimeout(int seconds);

// The time one read_some may wait for input under [server] idle_timeout
// `seconds` (0: no limit), counted from when it is made.
class IdleDeadline {
 public:
  explicit IdleDeadline(int seconds)
      : seconds_(seconds),
        end_(std::chrono::steady_clock::now() + std::chrono::seconds(seconds)) {
  }
  // What to wait next: -1 without a limit, 0 once the time is up (end the
  // session with IdleTimeout), else milliseconds, at most a minute.
  int WaitMillis() const;

 private:
  int seconds_;
  std::chrono::steady_clock::time_point end_;
};

}  // namespace sftpd

#endif  // SFTPD_SFTPD_FRONTDOOR_PUMP_H_

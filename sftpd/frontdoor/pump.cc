#include "sftpd/frontdoor/pump.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "sftpd/base/io.h"
#include "sftpd/frontdoor/stop_signal.h"

namespace sftpd {

namespace {

// Waits until `fd` has input, its end or an error, in slices of at most
// kStopCheckMillis, so a stop signal (stop_signal.h) ends the session
// however it lands. Errors: a stop signal, the idle time is up, poll fails.
Result<void> AwaitInput(int fd, int idle_timeout) {
  const IdleDeadline idle(idle_timeout);
  for (;;) {
    if (const int sig = StopSignal(); sig != 0) return Error{StoppedBy(sig)};
    const int wait = idle.WaitMillis();
    if (wait == 0) return IdleTimeout(idle_timeout);
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    const int r = poll(
        &p, 1, wait < 0 ? kStopCheckMillis : std::min(wait, kStopCheckMillis));
    if (r > 0) return {};  // input, end of input or an error: read says
    if (r < 0 && errno != EINTR) {
      return Error{std::string("poll: ") + strerror(errno)};
    }
  }
}

}  // namespace

// Not zeroed: the pages are touched only as reads fill them, so a short
// session does not pay for the 512 KiB (and the window) it never uses.
SessionPump::SessionPump(Session& session, size_t window)
    : session_(session),
      size_(kInSize + window),
      in_(std::make_unique_for_overwrite<uint8_t[]>(size_)) {}

Result<size_t> SessionPump::Step() {
  Result<size_t> used = session_.Process({in_.get(), have_});
  if (!used.ok() || *used == 0) return used;
  memmove(in_.get(), in_.get() + *used, have_ - *used);
  have_ -= *used;
  return used;
}

Result<void> SessionPump::Ended() const {
  if (have_ == 0) return {};
  return Error{"end of input in the middle of a packet"};
}

Result<void> PumpSession(Session& session, const PumpIo& io) {
  SessionPump pump(session);
  for (;;) {
    Result<size_t> n = io.read_some(pump.Room());
    if (!n) return Error{n.error()};
    if (*n == 0) return pump.Ended();
    pump.Stored(*n);
    for (;;) {
      Result<size_t> used = pump.Step();
      if (!used.ok()) return Error{used.error()};
      Bytes& out = session.output();
      if (!out.empty()) {
        if (Result<void> written = io.write_all(out); !written) return written;
        out.clear();
      }
      if (*used == 0) break;
    }
  }
}

Error IdleTimeout(int seconds) {
  return Error{"no request for " + std::to_string(seconds) +
               " s ([server] idle_timeout)"};
}

int IdleDeadline::WaitMillis() const {
  if (seconds_ <= 0) return -1;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        end_ - std::chrono::steady_clock::now())
                        .count();
  return int(std::clamp<long long>(left, 0, 60000));
}

Result<void> PumpSession(Session& session, int in_fd, int out_fd,
                         int idle_timeout) {
  PumpIo io{
      .read_some = [in_fd,
                    idle_timeout](std::span<uint8_t> buf) -> Result<size_t> {
        if (Result<void> ready = AwaitInput(in_fd, idle_timeout); !ready) {
          return Error{ready.error()};
        }
        for (;;) {
          ssize_t n = read(in_fd, buf.data(), buf.size());
          if (n >= 0) return size_t(n);
          if (errno != EINTR) {
            return Error{std::string("read: ") + strerror(errno)};
          }
          if (const int sig = StopSignal(); sig != 0) {
            return Error{StoppedBy(sig)};
          }
        }
      },
      .write_all = [out_fd](std::span<const uint8_t> bytes) -> Result<void> {
        if (const int err = WriteAll(out_fd, bytes); err != 0) {
          return Error{std::string("write: ") + strerror(err)};
        }
        return {};
      },
  };
  return PumpSession(session, io);
}

}  // namespace sftpd

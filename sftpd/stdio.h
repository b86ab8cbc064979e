// The --stdio front door: one SFTP session on stdin/stdout as the calling
// user, for OpenSSH's ForceCommand or Subsystem. It decides who may be
// served (config entry, allow_from), confines the process (no_new_privs,
// Landlock), then feeds the Session from fd 0 and writes its replies to fd 1.
#ifndef SFTPD_SFTPD_STDIO_H_
#define SFTPD_SFTPD_STDIO_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/config.h"
#include "sftpd/exports.h"
#include "sftpd/sandbox.h"
#include "sftpd/session.h"

namespace sftpd {

// Serves one session; returns the process exit status: 0 after a clean EOF,
// 1 when the user is refused or the session ends on broken framing. Every
// refusal is written to stderr and syslog before anything is touched.
int ServeStdio(const std::string& config_path);

// What sandbox::Enter confines a session to: each export's root, through
// the fd Exports opened (never looked up by name again), read-only or not.
// The fds stay owned by `exports`.
std::vector<sandbox::Tree> SandboxTrees(const Exports& exports);

// A transport as the pump sees it; each front door (fds, an SSH channel)
// supplies the two calls. read_some blocks until it has bytes and returns
// how many it stored (at least 1), 0 at a clean end of input, or an error.
// write_all writes every byte or returns why it could not.
// after_replies, if set, is called each time the replies to a batch of
// requests have been written.
struct PumpIo {
  std::function<Result<size_t>(std::span<uint8_t>)> read_some;
  std::function<std::optional<std::string>(std::span<const uint8_t>)> write_all;
  std::function<void()> after_replies = nullptr;
};

// Runs `session` over `io` until end of input or broken framing. Returns
// nullopt after a clean end, otherwise why the session ended (broken framing,
// end of input mid-packet, an I/O error). The one loop both transports use.
std::optional<std::string> PumpSession(Session& session, const PumpIo& io);

// The same over two fds (read(2)/write(2), EINTR retried). Separate from
// ServeStdio so tests can drive it over a socketpair. With idle_timeout > 0
// the session ends after that many seconds without input (IdleTimeout).
std::optional<std::string> PumpSession(Session& session, int in_fd, int out_fd,
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

#endif  // SFTPD_SFTPD_STDIO_H_

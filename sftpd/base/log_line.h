// The lines the daemon and --stdio write for the admin (stderr, where
// systemd's journal or OpenSSH picks them up, and syslog), and the one
// escaping that keeps what a peer sent from shaping them. Stateless;
// thread-safe as far as stdio and syslog are.
#ifndef SFTPD_SFTPD_BASE_LOG_LINE_H_
#define SFTPD_SFTPD_BASE_LOG_LINE_H_

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace sftpd {

// Longest line Say writes (bytes of text before escaping); a peer's name is
// bounded where it enters a line (kMaxShownName), so the address and port
// after it are never cut off.
inline constexpr size_t kMaxLogLine = 2048;
// How much of a name or string a peer chose a line quotes (sshd: %.100s).
inline constexpr size_t kMaxShownName = 100;

// The first `max` bytes of `text` with every byte outside printable ASCII
// (controls such as LF, CR and ESC, DEL, and every byte of non-ASCII text)
// written as \xHH, and "..." after them when `text` was longer. A line
// holding it stays one line on a terminal, in syslog and in the journal, so
// a peer cannot forge a line of its own (as a "Failed password ... from ADDR"
// that log watchers would act on). A backslash is kept as it is, so the
// result is a fixed point: escaping twice (a quoted reason, then the line
// that holds it) changes nothing. That leaves a literal "\x0a" a peer sent
// looking like an escaped LF; the audit trail keeps the exact bytes.
std::string Printable(std::string_view text, size_t max);

// Where a line goes besides syslog.
enum class LineTo {
  kStderr,         // "sftpd: LINE" (the listener, --stdio)
  kStderrWithPid,  // "sftpd[PID]: LINE" (a daemon's connection process)
  kSyslogOnly,
};

// Writes Printable(line, kMaxLogLine) to syslog at `priority` (as "%s") and
// to stderr as `to` says. Every line that may hold what a peer sent goes
// through here.
void Say(int priority, std::string_view line, LineTo to = LineTo::kStderr);

// Where every later Say of this process goes instead of stderr and syslog:
// a daemon's connection process, which holds neither, hands its lines to
// the listener (audit/relay.h). `sink` gets the priority, the escaped line
// and whether it goes to stderr too (not with kSyslogOnly); an empty one
// restores stderr and syslog. Process-wide: set it before a second thread
// starts.
using LineSink =
    std::function<void(int priority, std::string_view shown, bool to_stderr)>;
void SendLinesTo(LineSink sink);

// The line of process `pid` (a daemon's connection process, through the
// listener): LINE in syslog and, with `to_stderr`, "sftpd[PID]: LINE" on
// stderr, escaped as Say escapes it. `priority` is cut to a level
// (LOG_EMERG..LOG_DEBUG), as the sender may not be trusted with the
// facility.
void SayFor(pid_t pid, int priority, std::string_view line, bool to_stderr);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_BASE_LOG_LINE_H_

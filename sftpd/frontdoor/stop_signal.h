// Ending a session on a stop signal (SIGTERM from `sftpd kick`, the daemon's
// shutdown or an admin's kill; SIGINT; SIGHUP) the way it ends when its
// client leaves: each open file is closed and its close audited with its
// byte counts, then the logout. CatchStopSignals turns the signals into a
// flag that the transports look at between reads and polls; the flag is
// the one piece of process-wide state a signal handler needs.
// Async-signal-safe where it must be; single-threaded otherwise.
#ifndef SFTPD_SFTPD_FRONTDOOR_STOP_SIGNAL_H_
#define SFTPD_SFTPD_FRONTDOOR_STOP_SIGNAL_H_

#include <string>

namespace sftpd {

// The longest a transport waits in one poll while stop signals are caught,
// so a signal that lands between its check and its poll is seen in time.
inline constexpr int kStopCheckMillis = 500;

// Installs the handlers (without SA_RESTART, so a blocked poll or read
// returns EINTR). Until this is called the signals keep their default
// action: a process stopped before its session starts has nothing to close.
void CatchStopSignals();

// The first stop signal caught since CatchStopSignals, or 0.
int StopSignal();

// "ended by signal 15 (SIGTERM)": a logout's result and a log line's reason.
std::string StoppedBy(int sig);

// Restores `sig`'s default action and raises it, so the process ends by it
// as it would have without the handler (its parent sees WIFSIGNALED).
[[noreturn]] void EndBySignal(int sig);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_FRONTDOOR_STOP_SIGNAL_H_

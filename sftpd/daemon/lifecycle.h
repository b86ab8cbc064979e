// What the daemon tells the system about its life, and takes from it:
// systemd's readiness protocol (sd_notify(3): datagrams to $NOTIFY_SOCKET)
// and its socket passing (sd_listen_fds(3): $LISTEN_PID, $LISTEN_FDS), both
// spoken here without libsystemd, and the pid file beside the control socket that lets
// logrotate's hook signal this daemon alone. Plain functions; not
// thread-safe (Notify reads the environment only when asked to).
#ifndef SFTPD_SFTPD_DAEMON_LIFECYCLE_H_
#define SFTPD_SFTPD_DAEMON_LIFECYCLE_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include <vector>

#include "config/result.h"
#include "sftpd/base/fd.h"

namespace sftpd {

// Sends `state` ("READY=1", lines joined by '\n') as one datagram to the
// AF_UNIX socket `socket`: a path ("/run/systemd/notify") or, starting with
// '@', an abstract name. Errors: the address is not one of those or is too
// long, the socket cannot be made, the send fails.
Result<void> Notify(const std::string& socket, std::string_view state);

// $NOTIFY_SOCKET, removed from the environment so no child inherits it;
// "" when unset (then the daemon has nobody to notify).
std::string TakeNotifySocket();

// The first descriptor systemd passes (SD_LISTEN_FDS_START).
inline constexpr int kFirstListenFd = 3;

// How many sockets systemd passed, from $LISTEN_PID and $LISTEN_FDS as
// `listen_pid` and `listen_fds` (null when unset): 0 when either is unset
// or LISTEN_PID is not `self` (they were meant for another process).
// Errors: a value that is not a decimal number, a count over 64.
Result<int> ListenFdCount(const char* listen_pid, const char* listen_fds,
                          pid_t self);

// Takes `fd` as a listening socket: it must be a TCP socket (IPv4 or IPv6)
// in the listening state; it is made close-on-exec. An error says what it
// is instead; `fd` is closed either way (the Fd returned owns it).
Result<Fd> TakeListeningSocket(int fd);

// The listening sockets systemd passed this process (kFirstListenFd on,
// ListenFdCount of them), in order; empty when it passed none. LISTEN_PID,
// LISTEN_FDS and LISTEN_FDNAMES are removed from the environment, so no
// child reads them. Call it before anything opens a descriptor. Errors:
// ListenFdCount's, TakeListeningSocket's (naming the descriptor).
Result<std::vector<Fd>> TakeListenFds();

// The file name of the pid file in the control socket's directory.
inline constexpr const char* kPidFileName = "sftpd.pid";

// Writes this process's pid (and a newline) to `dir`/sftpd.pid, replacing
// it atomically. `dir` must be a directory, not a symlink, owned by this
// process's effective uid and writable by no one else; the file is created
// beside it and renamed into place, so a symlink planted at its name is
// replaced, never followed. Returns the file's path, or why not.
Result<std::string> WritePidFile(const std::string& dir);

// Removes the pid file at `path` if it still holds `pid` (a daemon started
// since owns it otherwise); the file is not followed if it is a symlink.
void RemovePidFile(const std::string& path, pid_t pid);

// The pid a pid file holds, or nullopt when it is absent, a symlink or
// malformed.
std::optional<pid_t> ReadPidFile(const std::string& path);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_DAEMON_LIFECYCLE_H_

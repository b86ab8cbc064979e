// The daemon's control socket: a Unix socket ([server] control_socket,
// mode 0600, root's) on which `sftpd sessions` and `sftpd kick` ask the
// listener about its live sessions. A client sends one request line; the
// listener checks that the peer is root (SO_PEERCRED), answers with lines
// and closes. Each session in an answer is a JSON object in the audit
// trail's format (FormatAuditEvent), so ParseAuditLine reads it back. This
// unit holds the format, both ends' socket calls and the two commands; the
// listener's handling is in daemon.cc. Not thread-safe.
#ifndef SFTPD_SFTPD_CONTROL_CONTROL_H_
#define SFTPD_SFTPD_CONTROL_CONTROL_H_

#include <sys/types.h>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/result.h"
#include "sftpd/base/fd.h"

namespace sftpd {

// An authenticated session as the listener knows it.
struct LiveSession {
  std::string id;  // the audit trail's session id
  pid_t pid = 0;
  std::string user;
  int64_t uid = -1;
  std::string address;
  int port = 0;
  int64_t since_us = 0;  // admitted at, µs since the epoch
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  std::string current;  // the file opened last and still open, or ""
};

// One answer line (no newline): `op` is "session" in a listing, "kicked"
// in kick's answer; the time is since_us, the path the current file, the
// detail "pid N".
std::string FormatLiveSession(const LiveSession& s, std::string_view op);

// What a client asks: "sessions", "kick TARGET" (a user name or a session
// id), "status", "reload" (the daemon rereads its config as on SIGHUP and
// answers with its status once done), "bans", or "unban TARGET" (an
// address or a CIDR block).
struct ControlRequest {
  enum class Verb { kSessions, kKick, kStatus, kReload, kBans, kUnban };
  Verb verb = Verb::kSessions;
  std::string target;
};
std::optional<ControlRequest> ParseControlRequest(std::string_view line);
std::string FormatControlRequest(const ControlRequest& r);

// The longest request line the listener reads.
inline constexpr size_t kMaxControlRequest = 512;

// An answer line that is an error starts so; the rest says why.
inline constexpr std::string_view kControlError = "error: ";

// The listener's end: binds `path` (mode 0600; its directory made 0700 if
// missing). An existing directory must be a directory (not a link) owned by
// the server's uid that neither group nor others may write, or another user
// could swap the socket: an error otherwise. A socket left by a daemon that
// is gone is replaced; one that answers belongs to a running daemon, which
// is an error, as is any other file at `path`.
Result<Fd> ListenControl(const std::string& path);

// The uid of the process at the other end of a Unix socket.
std::optional<uid_t> PeerUid(int fd);

// The client's end: sends `r` to the daemon at `path` and returns the
// answer's lines, or why there is none (no daemon, refused, timeout after
// `timeout_ms` without a byte).
Result<std::vector<std::string>> AskDaemon(const std::string& path,
                                           const ControlRequest& r,
                                           int timeout_ms);

// `sftpd sessions` and `sftpd kick`: ask the daemon at `path` and print
// the answer to `out` (a table, or the lines with `json`), errors to `err`.
// (`sftpd status`, `reload`, `bans` and `unban` are in daemon_status.h.)
// Return the exit status: 0; 1 when the daemon cannot be asked or kick
// found no session.
int PrintSessions(const std::string& path, bool json, FILE* out, FILE* err);
int Kick(const std::string& path, const std::string& target, FILE* out,
         FILE* err);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_CONTROL_CONTROL_H_

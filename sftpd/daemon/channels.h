// The channels of one daemon connection after login. OpenSftpChannel answers
// the client until the "sftp" subsystem starts on a first "session" channel;
// ServeChannels then serves that one and every later channel that starts
// "sftp" (up to [server] max_channels_per_connection open at once), each as
// its own Session (own handle table) over the connection's Exports, in one
// loop on libssh's event API. Owns the channels it serves; single-threaded.
#ifndef SFTPD_SFTPD_DAEMON_CHANNELS_H_
#define SFTPD_SFTPD_DAEMON_CHANNELS_H_

#include <libssh/libssh.h>

#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "sftpd/audit/relay.h"
#include "sftpd/engine/session.h"
#include "sftpd/vfs/exports.h"

namespace sftpd {

// A line of this connection's process; its pid tells connections apart.
void Note(int priority, std::string_view line);

// An ssh_message that frees itself.
struct MessageFree {
  void operator()(ssh_message m) const { ssh_message_free(m); }
};
using MessagePtr = std::unique_ptr<ssh_message_struct, MessageFree>;

// What every channel's session shares: the process is confined already.
struct ChannelsSetup {
  const Config& config;
  Exports& exports;
  RelayAudit& audit;
  std::string user;        // the session's user, for home-directory
  std::string session_id;  // the listener's id of the connection
  std::string who;         // "user U from ADDR: ", for log lines
  // How the user authenticated, and the key (AuditEvent method and key),
  // on each login event.
  std::string method;
  std::string key;
  // Each login's detail: the confinement and the client's SSH version.
  std::string login;
  SymlinkOrder symlink_order;  // how every session reads SYMLINK
  // A line each channel's client gets on its stderr as it starts (exports
  // left out, AbsentNotice); "": none.
  std::string notice = "";
};

// Writes `line` on `chan`'s stderr, when the channel's window has room for
// it (so this never waits for the client); "" writes nothing.
void WriteNotice(ssh_channel chan, std::string_view line);

// Ends `chan` refused: `line` on its stderr (as WriteNotice), exit status 1,
// EOF and close. The caller frees it.
void RefuseChannel(ssh_channel chan, std::string_view line);

// The rule of the audit line of a refused channel request or open (exec,
// shell, another subsystem, pty-req, x11, forwarding): op "channel", the
// detail what was asked ("exec: COMMAND", "shell", "subsystem: NAME",
// "pty-req"...). env is refused without one (LANG and LC_*, which OpenSSH
// sends by default, silently; other names on a debug line).
inline constexpr std::string_view kRuleUnsupportedChannel =
    "unsupported channel request";

// Answers channel opens and requests until the "sftp" subsystem starts on a
// session channel, and returns that channel. nullptr: the client asked for
// something else first (exec and shell get a line on stderr saying only sftp
// is offered, and exit status 1) or left; each refusal is logged and
// audited through `audit`.
ssh_channel OpenSftpChannel(ssh_session s, const std::string& who,
                            RelayAudit& audit);

// Serves `first` and every later SFTP channel until the client disconnects
// or, with [server] idle_timeout, no channel had a request for that long.
// A channel ends when its client closes it (or sends EOF), or on broken
// framing; it gets an exit status, EOF and close. Each channel's session is
// audited through setup.audit as a session of its own: a login when it
// starts and a logout when it ends, with the channel's number (1 for
// `first`, then 2, 3... as they start) on each of its events. A channel
// opened over the limit is refused (administratively prohibited) and
// logged; exec and shell are refused on any channel as OpenSftpChannel does,
// and every other request too, audited as there. Returns the process's exit
// status: 0 when every channel's session ended cleanly, else 1.
int ServeChannels(ssh_session s, ssh_channel first, const ChannelsSetup& setup);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_DAEMON_CHANNELS_H_

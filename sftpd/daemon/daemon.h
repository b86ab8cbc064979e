// The daemon (`sftpd serve`), the one entry of the module: it loads the
// config and runs the listener (daemon/listener.h), which listens on every
// [server] listen address (or systemd's sockets, or serves stdin), drops sources no user may come from, and forks
// one process per connection (daemon/connection.h serves it); SIGHUP
// reloads the config, SIGTERM and SIGINT stop it gracefully.
// Single-threaded; the listener owns its sockets, the ssh_bind and the table
// of its children, each child its own connection.
#ifndef SFTPD_SFTPD_DAEMON_DAEMON_H_
#define SFTPD_SFTPD_DAEMON_DAEMON_H_

#include <string>

namespace sftpd {

// After SIGTERM or SIGINT, running sessions may finish for this long; then
// they get SIGTERM, and kShutdownKillSeconds later SIGKILL. A second SIGTERM
// or SIGINT ends the grace period at once.
constexpr int kShutdownGraceSeconds = 30;
constexpr int kShutdownKillSeconds = 5;

// Runs the daemon in the foreground until SIGTERM or SIGINT. Returns the
// exit status: 0 after a graceful stop (every child reaped); 1 when the
// config, a host key or a listen address cannot be used at start, or poll
// fails (each reason is written to stderr and syslog). A config that fails
// on SIGHUP (or `sftpd reload`) is logged and the previous one kept; the
// control socket tells how the last attempt went. Under systemd
// ($NOTIFY_SOCKET) it reports READY=1 once it listens, RELOADING=1 and
// READY=1 around each reload, and STOPPING=1 when it stops; beside the
// control socket it keeps a pid file (lifecycle.h) while it runs.
//
// Started by systemd with listening sockets ($LISTEN_FDS, a socket unit),
// it accepts on those instead of [server] listen. With `inetd` it serves
// the one connection on stdin and stdout (systemd's Accept=yes, as
// `sshd -i`), as it serves an accepted one, and returns once that ended;
// no control socket or pid file then (every connection is a daemon of its
// own), and the limits and the defender see that one connection only.
int RunDaemon(const std::string& config_path, bool inetd = false);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_DAEMON_DAEMON_H_

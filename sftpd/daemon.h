// The daemon's listener (`sftpd serve`): listens on every [server] listen
// address, drops sources no user may come from, and forks one process per
// connection (ssh_session.h serves it). Single-threaded; the listener owns
// its sockets and the ssh_bind, each child its own connection.
#ifndef SFTPD_SFTPD_DAEMON_H_
#define SFTPD_SFTPD_DAEMON_H_

#include <string>
#include <string_view>

#include "config/config.h"
#include "config/result.h"

namespace sftpd {

struct ListenAddress {
  std::string host;  // without brackets: "0.0.0.0", "::", "127.0.0.1"
  int port = 0;      // 1..65535
};

// Parses "host:port" or "[ipv6]:port". Errors: no port, a port outside
// 1..65535, an empty host, an IPv6 address without brackets.
Result<ListenAddress> ParseListenAddress(std::string_view text);

// The listener's early check, as Rights of "anyone": the union of every
// user's and group's allow_from (Rights::Allows). An entry without
// allow_from admits any address; a config with no entries admits none.
Rights ListenerFilter(const Config& config);

// Runs the daemon in the foreground until killed. Returns the exit status:
// 1 when the config, a host key or a listen address cannot be used (each
// reason is written to stderr and syslog).
int RunDaemon(const std::string& config_path);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_DAEMON_H_

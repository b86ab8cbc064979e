// Where the listener listens: the [server] listen addresses parsed and
// compared, their sockets opened, the peer of an accepted connection named,
// and the listener's early source filter (the union of every allow_from).
// Plain functions of their arguments; thread-compatible.
#ifndef SFTPD_SFTPD_DAEMON_LISTEN_H_
#define SFTPD_SFTPD_DAEMON_LISTEN_H_

#include <sys/socket.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/result.h"
#include "sftpd/base/fd.h"
#include "sftpd/frontdoor/identity.h"

namespace sftpd {

struct ListenAddress {
  std::string host;  // without brackets: "0.0.0.0", "::", "127.0.0.1"
  int port = 0;      // 1..65535
};

// Parses "host:port" or "[ipv6]:port". Errors: no port, a port outside
// 1..65535, an empty host, an IPv6 address without brackets.
Result<ListenAddress> ParseListenAddress(std::string_view text);

// Whether two [server] listen lists name the same sockets, whatever their
// order, duplicates and spelling of numeric hosts ("[::1]:22" and
// "[0:0::1]:22" are one). An entry that does not parse is compared as
// written.
bool SameListenAddresses(const std::vector<std::string>& a,
                         const std::vector<std::string>& b);

// The listener's early check, as Rights of "anyone": the union of every
// user's and group's allow_from (Rights::Allows). An entry without
// allow_from admits any address; a config with no entries admits none.
Rights ListenerFilter(const Config& config);

// Opens a listening TCP socket on `text` ("host:port", "[ipv6]:port"),
// close-on-exec, an IPv6 socket for IPv6 alone. Errors: the address does
// not parse or resolve, socket, bind or listen fails.
Result<Fd> Listen(const std::string& text);

// The peer of an accepted connection: its address (unset for a family other
// than IPv4 and IPv6), port, and "ADDRESS:PORT" ("[ADDRESS]:PORT" for IPv6).
Peer PeerOf(const sockaddr_storage& ss);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_DAEMON_LISTEN_H_

// One daemon connection, in its own forked process: key exchange,
// authentication (daemon/authenticate.h), the listener's admission and
// PAM's session, the privilege drop, then the session path both front doors
// take (frontdoor/session_path.h: confinement, and the SFTP channels of
// daemon/channels.h, a Session engine over each). Owns the connection's fd
// and libssh session; single-threaded.
#ifndef SFTPD_SFTPD_DAEMON_CONNECTION_H_
#define SFTPD_SFTPD_DAEMON_CONNECTION_H_

#include <libssh/server.h>

#include "config/config.h"
#include "sftpd/daemon/host_keys.h"
#include "sftpd/frontdoor/identity.h"

namespace sftpd {

// Serves the accepted connection `fd` from `peer` (address set), with the
// host keys and algorithms of `bind`, which it frees once the key exchange
// is done (its copy of every host key; libssh keeps the one the connection
// uses in the session, to sign rekeyings with); audit events and the admission
// of the authenticated user go to the listener over `relay_fd` (audit/relay.h).
// Call in the child after fork(), as root (any user may log in whom the config
// admits) or as an ordinary user (only that user's own account is served,
// without a privilege change). Returns the process exit status: 0 after a clean
// end of every SFTP session on the connection, 1 when the connection was
// refused or failed or a session ended on an error; each refusal is logged
// with the user, address and port. `before_login` says how the process was
// confined before login (sandbox::ConfineBeforeLogin), for the login line.
int ServeConnection(const Config& config, BindPtr bind, int fd, int relay_fd,
                    const Peer& peer, const std::string& before_login);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_DAEMON_CONNECTION_H_

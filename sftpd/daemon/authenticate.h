// Authentication of one daemon connection, by method: publickey (the
// user's authorized_keys files, then PAM's account check), and password or
// keyboard-interactive through PAM. The first request fixes the user name,
// decided once (an entry, allow_from, the keys) before any credential is
// looked at; as in sshd, a request claiming another name ends the
// connection. Runs in
// the connection's process, as root or as the user the daemon runs as;
// single-threaded.
#ifndef SFTPD_SFTPD_DAEMON_AUTHENTICATE_H_
#define SFTPD_SFTPD_DAEMON_AUTHENTICATE_H_

#include <libssh/libssh.h>

#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "sftpd/audit/relay.h"
#include "sftpd/daemon/pam.h"
#include "sftpd/frontdoor/identity.h"

namespace sftpd {

// Who logged in, and how.
struct Authenticated {
  UserInfo user;
  std::unique_ptr<PamLogin> pam;  // its session is opened before the drop
  std::string method;             // "publickey", "password"...
  std::string key;                // for publickey: DescribeKey of the key
};

// Offers the [auth] methods on `s` (after its key exchange) and answers the
// client's requests until one succeeds, at most [auth] max_tries failing
// (as in sshd, each failed request counts but a first "none", and a key
// offered without a signature that would be accepted costs nothing).
// Logs as sshd does ("Accepted publickey for U from A port P ssh2: KEY",
// "Failed password for invalid user U from ..."), so watchers written for
// sshd read these lines too; each refused name and each failure is audited
// through `audit`. nullopt: not authenticated (the client left, max_tries
// failed, or it changed the user name: the caller's ssh_disconnect then
// says so), each reason logged and audited already.
// REQUIRES: peer.address is set.
std::optional<Authenticated> Authenticate(const Config& config, ssh_session s,
                                          const Peer& peer, RelayAudit& audit);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_DAEMON_AUTHENTICATE_H_

// Identity: who is calling and from where, as the --stdio front door learns
// it from OpenSSH's environment and the user database. Plain values; the
// functions are reentrant (getpwuid_r and friends) and thread-safe.
#ifndef SFTPD_SFTPD_FRONTDOOR_IDENTITY_H_
#define SFTPD_SFTPD_FRONTDOOR_IDENTITY_H_

#include <sys/types.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/cidr.h"
#include "config/result.h"

namespace sftpd {

// The client end of the connection.
struct Peer {
  std::optional<Address> address;  // nullopt: local (not over SSH)
  int port = 0;                    // 1..65535 when address is set
  std::string text;  // for logs: "192.0.2.7:51022", "[2001:db8::1]:51022",
                     // or "local"
};

// Reads the peer from the values of SSH_CONNECTION ("client_ip client_port
// server_ip server_port") and SSH_CLIENT ("client_ip client_port
// server_port"), as sshd sets them; SSH_CONNECTION wins when both are set
// (SSH_CLIENT is the older, deprecated form). Either may be null. Both null
// or empty: a local peer. A link-local zone ("fe80::1%eth0") is dropped.
// Errors: a set variable that is not exactly that shape (field count, an
// address, a port outside 1..65535). The values are only as trustworthy as
// sshd's config keeps them: AcceptEnv or PermitUserEnvironment must not let
// a client set them.
Result<Peer> PeerFromSsh(const char* ssh_connection, const char* ssh_client);

// A user as the password and group databases describe them.
struct UserInfo {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;  // primary group
  std::string home;
  std::vector<std::string> groups;  // names, primary first, no duplicates
  std::string shell;  // the login shell as the database has it; may be ""
};

// Errors: no such user; a lookup failure (e.g. the database cannot be read).
// Groups whose name cannot be resolved are left out, not errors.
Result<UserInfo> LookUpUser(uid_t uid);
// As above, by login name. Errors also: an empty name or one holding NUL.
Result<UserInfo> LookUpUser(std::string_view name);

// Users named by any of `users`, or members of any of `groups` (listed in
// the group or having it as their primary group), each once, sorted by name.
// For the policy generators, which expand groups when they run. Walks the
// whole password database (getpwent): not thread-safe, command line only.
// A name that is no user or group is left out and said in `missing`.
struct NamedUsers {
  std::vector<UserInfo> users;
  std::vector<std::string> missing;  // "user alice", "group staff"
};
NamedUsers LookUpNamedUsers(std::span<const std::string> users,
                            std::span<const std::string> groups);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_FRONTDOOR_IDENTITY_H_

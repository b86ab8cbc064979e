// What an admin is told about a valid config beyond its syntax: entries
// that cannot work on this system as it is now (for `sftpd check-config`
// and the daemon's start and reload), and what one user gets from one
// address (`sftpd check-config --user NAME [--from ADDR]`). Reads the user
// and group databases and stats export roots; not thread-safe (getpwent).
#ifndef SFTPD_SFTPD_FRONTDOOR_CONFIG_REPORT_H_
#define SFTPD_SFTPD_FRONTDOOR_CONFIG_REPORT_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/cidr.h"
#include "config/config.h"
#include "config/result.h"

namespace sftpd {

// One line per entry that cannot work as written, each starting with the
// config file, the entry's line and key ("/etc/sftpd/sftpd.toml:12:
// users.bob: ..."): a [users.X] naming no user of this system, a
// [groups.X] naming no group, a [users.root] (root is not confined by its
// uid), and, for every user the config grants something (groups
// expanded), an export root that does not exist for that user (the user's
// sessions leave it out and tell the client) or cannot be opened as a
// session opens it (the user's sessions are refused).
std::vector<std::string> EntryWarnings(const Config& config);

// What `user` gets: every export, its host path for the user, access,
// owner_only and the tables that grant it with their addresses; with
// `from`, only what a session from that address gets, or why it is
// refused. `served` is false when such a session is refused (no such user,
// no entry, no table admits the address, no export left).
struct UserReport {
  std::string text;  // lines, each ending in '\n'
  bool served = false;
};
UserReport DescribeUser(const Config& config, std::string_view user,
                        const std::optional<Address>& from);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_FRONTDOOR_CONFIG_REPORT_H_

// The listener's caps on its children ([server] max_* in the config) and
// the table of the children themselves: which process serves which source
// address and, once admitted, which user. Plain values; not thread-safe.
#ifndef SFTPD_SFTPD_DAEMON_CONNECTION_TABLE_H_
#define SFTPD_SFTPD_DAEMON_CONNECTION_TABLE_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "config/config.h"

namespace sftpd {

// Caps on the listener's children ([server] max_* in the config).
struct ConnectionLimits {
  static constexpr size_t kNone = std::numeric_limits<size_t>::max();
  size_t max_total = 0;        // every connection
  size_t max_per_address = 0;  // from one source address
  size_t max_startups = 0;     // not yet authenticated and admitted
  size_t max_per_user = 0;     // admitted sessions of one user
  // Random early drop of startups (OpenSSH's MaxStartups start:rate:full,
  // with max_startups as full): kNone, none.
  size_t startups_begin = kNone;
  unsigned startups_rate = 100;  // percent, at startups_begin
  size_t max_startups_per_address = kNone;

  static ConnectionLimits Of(const ServerSection& server);
};

// Whether a new connection is dropped early when `startups` connections are
// not yet authenticated: never below limits.startups_begin, always from
// limits.max_startups on, and between them when `percentile` (a uniform draw
// from 0..99) is below a rate rising linearly from startups_rate % at
// startups_begin to 100 % at max_startups, as sshd computes it.
bool DropsStartup(const ConnectionLimits& limits, size_t startups,
                  uint32_t percentile);

// A uniform draw from 0..99 for the random early drop.
using Percentile = std::function<uint32_t()>;
// The system's (arc4random_uniform: unpredictable to peers).
uint32_t SystemPercentile();

// The listener's record of its session children: which process serves which
// source address and, once admitted, which user, so it can refuse a
// connection before forking, refuse a user's session over the cap, and find
// every child at shutdown. A plain value; not thread-safe.
class ConnectionTable {
 public:
  enum class Admission {
    kAdmit,
    kTooMany,
    kTooManyFromAddress,
    kTooManyStartupsFromAddress,
    kTooManyStartups,  // max_startups reached
    kStartupDropped,   // a random early drop below max_startups
  };

  // `draw` is called only for a connection the early drop may refuse.
  explicit ConnectionTable(ConnectionLimits limits,
                           Percentile draw = SystemPercentile)
      : limits_(limits), draw_(std::move(draw)) {}

  // New limits (SIGHUP); running children are kept even when over them.
  void set_limits(ConnectionLimits limits) { limits_ = limits; }
  const ConnectionLimits& limits() const { return limits_; }
  // Whether one more connection from `address` fits under the caps (checks
  // only; Add records): kTooMany, else kTooManyFromAddress, else
  // kTooManyStartupsFromAddress, else kTooManyStartups or kStartupDropped
  // (DropsStartup with a draw).
  Admission Check(const Address& address) const;
  // Records the child `pid` serving `address`. REQUIRES: pid not recorded.
  void Add(pid_t pid, const Address& address);
  // Records that `pid` authenticated as `user` and starts its session;
  // false (nothing recorded) when the user has max_per_user sessions
  // already, or pid is unknown or admitted before.
  bool Admit(pid_t pid, const std::string& user);
  // Removes `pid`; false when it was not recorded.
  bool Forget(pid_t pid);
  size_t size() const { return children_.size(); }
  size_t CountFrom(const Address& address) const;
  size_t CountUser(const std::string& user) const;
  size_t CountStartups() const;  // children not admitted yet
  size_t CountStartupsFrom(const Address& address) const;
  std::vector<pid_t> Pids() const;

 private:
  struct Child {
    Address address;
    std::string user;  // empty until admitted
  };
  ConnectionLimits limits_;
  Percentile draw_;
  std::map<pid_t, Child> children_;
};

}  // namespace sftpd

#endif  // SFTPD_SFTPD_DAEMON_CONNECTION_TABLE_H_

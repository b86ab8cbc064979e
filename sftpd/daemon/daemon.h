// The daemon's listener (`sftpd serve`): listens on every [server] listen
// address, drops sources no user may come from, and forks one process per
// connection (daemon/connection.h serves it); SIGHUP reloads the config,
// SIGTERM and SIGINT stop it gracefully. Single-threaded; the listener owns its
// sockets, the ssh_bind and the table of its children, each child its own
// connection.
#ifndef SFTPD_SFTPD_DAEMON_DAEMON_H_
#define SFTPD_SFTPD_DAEMON_DAEMON_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

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

// After SIGTERM or SIGINT, running sessions may finish for this long; then
// they get SIGTERM, and kShutdownKillSeconds later SIGKILL. A second SIGTERM
// or SIGINT ends the grace period at once.
constexpr int kShutdownGraceSeconds = 30;
constexpr int kShutdownKillSeconds = 5;
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

// Runs the daemon in the foreground until SIGTERM or SIGINT. Returns the
// exit status: 0 after a graceful stop (every child reaped); 1 when the
// config, a host key or a listen address cannot be used at start, or poll
// fails (each reason is written to stderr and syslog). A config that fails
// on SIGHUP (or `sftpd reload`) is logged and the previous one kept; the
// control socket tells how the last attempt went. Under systemd
// ($NOTIFY_SOCKET) it reports READY=1 once it listens, RELOADING=1 and
// READY=1 around each reload, and STOPPING=1 when it stops; beside the
// control socket it keeps a pid file (lifecycle.h) while it runs.
int RunDaemon(const std::string& config_path);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_DAEMON_DAEMON_H_

// The daemon's listener: its state between start and exit, and the jobs
// it does in one poll loop. Its members are defined by job: the loop,
// signals, reload and accepting connections (listener.cc), the control
// socket (control_server.cc), and the listener's end of each child's audit
// relay with the child's end (listener_relay.cc). Internal to daemon/;
// single-threaded.
#ifndef SFTPD_SFTPD_DAEMON_LISTENER_H_
#define SFTPD_SFTPD_DAEMON_LISTENER_H_

#include <signal.h>
#include <sys/types.h>
#include <syslog.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/result.h"
#include "sftpd/audit/audit.h"
#include "sftpd/audit/limit.h"
#include "sftpd/audit/relay.h"
#include "sftpd/base/fd.h"
#include "sftpd/base/io.h"
#include "sftpd/base/log_line.h"
#include "sftpd/control/control.h"
#include "sftpd/control/daemon_status.h"
#include "sftpd/daemon/connection_table.h"
#include "sftpd/daemon/defender.h"
#include "sftpd/daemon/host_keys.h"
#include "sftpd/daemon/listen.h"
#include "sftpd/frontdoor/identity.h"

namespace sftpd {

using Clock = std::chrono::steady_clock;

// The listener's end of one child's audit relay.
struct Relay {
  Fd fd;                     // closed once the child closed its end
  AuditIdentity who;         // address and port from accept; user at admission
  Address address;           // the client's, for the defender
  bool tried_login = false;  // the child reported a login attempt
  bool admitted = false;
  // The SFTP channels (RelayMessage::channel) whose logout is not written
  // yet: the first from admission on, each later one from its login; at
  // most [server] max_channels_per_connection are followed. The listener
  // writes the logout of each one left when the child ends.
  std::set<uint32_t> open_channels;
  bool kicked = false;  // ended by `sftpd kick`
  // The session's repeated refusals, limited here rather than by the
  // session process, which may not be trusted to.
  AuditLimiter limiter{kSessionAuditBudget};
  // Its lines for the admin's log (RelayType::kLog), limited alike: a kind
  // per line's first kMaxKindField bytes.
  AuditLimiter lines{kSessionAuditBudget};
  // For `sftpd sessions`: when it was admitted, and its last progress.
  int64_t since_us = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  std::string current;
};

// A connection from a [server] proxy_from address (a balancer) until its
// PROXY protocol header has come whole (proxy_header.h).
struct Proxied {
  Fd conn;
  Peer balancer;
  Clock::time_point deadline;
  std::vector<uint8_t> header;  // what has come of it so far
};

// How long a balancer's connection may take to send its PROXY header.
constexpr int kProxyHeaderSeconds = 10;

// Who the events of SFTP channel `channel` of a connection are: its first
// channel (and all before it) is the connection's session id "ID", each
// later one "ID.2", "ID.3"... in the order their sessions started.
AuditIdentity ChannelIdentity(const AuditIdentity& who, uint32_t channel);

// Where the listener's connections come from: by default the sockets it
// opens on [server] listen; or the listening sockets systemd passed it
// (lifecycle.h, TakeListenFds); or, with `inetd`, one connection on stdin
// and stdout (`sftpd serve --inetd`, a service with Accept=yes), served as
// any accepted one, after which the listener exits.
struct ListenerSockets {
  std::vector<Fd> passed;
  bool inetd = false;
};

// The listener's state between start and exit. Signals arrive on a signalfd
// (they stay blocked), so no handler runs and the poll loop wakes for them.
class Listener {
 public:
  Listener(std::string config_path, Config config, ListenerSockets sockets)
      : config_path_(std::move(config_path)),
        config_(std::move(config)),
        loaded_us_(WallMicros()),
        filter_(ListenerFilter(config_)),
        passed_(std::move(sockets.passed)),
        inetd_(sockets.inetd),
        children_(ConnectionLimits::Of(config_.server)),
        defender_(config_.defender),
        drops_(kDropAuditBudget) {}

  // Everything that can fail at start: the bind and its host keys, the
  // signals, the listen sockets (or, with inetd, the connection on stdin:
  // it must be a connected socket; admitted, its child is started here).
  // An error says why.
  Result<void> Start();
  // The poll loop; returns the exit status (with inetd, once the one
  // connection's child has ended).
  int Run();

 private:
  void HandleSignals();
  // SIGHUP or `sftpd reload` (`trigger` says which, in the log): the
  // config (kept when the new one fails) and the audit file; reload_
  // records how it went.
  void Reload(std::string_view trigger);
  // Loads and applies the config file; why not, when it cannot be used
  // (each config error, or another reason), empty when it was taken.
  std::vector<std::string> LoadNewConfig(std::string_view trigger);
  // Tells systemd (when it started us with $NOTIFY_SOCKET) of `state`.
  void TellSystemd(const std::string& state);
  void BeginShutdown();
  // Shutdown progress: signals children as the deadlines pass. True when
  // every child has been reaped.
  bool Stopped();
  void Signal(int sig, const char* why);
  void Reap();
  void Accept(int listen_fd);
  // A connection from `peer`, accepted from a listen socket or taken from
  // stdin: a balancer's waits for its PROXY header (proxied_), one from
  // elsewhere that starts with such a header is dropped, any other served.
  void Receive(Fd conn, const Peer& peer);
  // The drops and the fork of one connection from `peer`: the connection's
  // own, or the client a balancer's PROXY header named.
  void Serve(Fd conn, const Peer& peer);
  // Whether `address` is a balancer's ([server] proxy_from).
  bool FromBalancer(const Address& address) const;
  // Reads what has come of a balancer's PROXY header (never past it); once
  // it is whole, serves the connection as from the client it names. True
  // when `p` is done with: served, or dropped (malformed, closed).
  bool ReadProxyHeader(Proxied& p);
  // Drops the balancers' connections whose header is late.
  void ExpireProxied(Clock::time_point now);
  // Start's part for each source of connections.
  Result<void> ListenOnConfig();
  Result<void> ListenOnPassed();
  Result<void> ServeInetd();
  // Whether a connection from `peer` may have a child: not banned, within
  // the filter and the table's caps. Each refusal is a Drop, and most an
  // offence of the address too.
  bool Admits(const Peer& peer);
  // Audits and logs a connection dropped before key exchange, as often as
  // drops_ lets it for its address and rule; the others are counted.
  void Drop(const Peer& peer, std::string_view rule, const std::string& why);
  // Writes the counts of refusals and drops whose window ended, or all of
  // them with `all` (at exit).
  void WriteCounts(bool all);
  // Writes what the limiters of child `pid`'s relay still count (the
  // session ended).
  void WriteCounts(pid_t pid, Relay& relay);
  // Logs the counts of child `pid`'s lines held back whose window ended by
  // `now`, or all of them.
  void WriteLineCounts(pid_t pid, Relay& relay, Clock::time_point now,
                       bool all);
  // Scores `offence` against `address`; audits and logs a ban it begins.
  void Offend(const Address& address, Offence offence);
  // Reads what child `pid` sent (bounded) and acts on it.
  void ReadRelay(pid_t pid, Relay& relay);
  void OnRelayMessage(pid_t pid, Relay& relay, const RelayMessage& m);
  void OnRelayEvent(Relay& relay, const RelayMessage& m);
  void OnAdmit(pid_t pid, Relay& relay, const RelayMessage& m);
  // Opens [server] control_socket; a failure is logged, not fatal.
  void OpenControl();
  // Answers one client of the control socket (root only).
  void AnswerControl();
  std::string ControlAnswer(const ControlRequest& r, uid_t peer);
  std::string KickAnswer(const ControlRequest& r, uid_t peer);
  std::string UnbanAnswer(const std::string& target, uid_t peer);
  DaemonStatus Status();
  void Record(const AuditIdentity& who, const AuditEvent& event) {
    JsonAudit(who, *audit_).Record(event);
    // A session's malformed and unsupported requests, as its limiter let
    // them through, are the admin's to see too.
    if (std::optional<std::string> line = RefusalLogLine(who.session, event)) {
      Say(LOG_NOTICE, *line);
    }
    SyncAuditState();
  }
  // Tells every admitted session when the audit file starts or stops
  // refusing file operations ([audit] on_failure = "refuse").
  void SyncAuditState();
  void SendAuditState(const Relay& relay);
  [[noreturn]] void ServeChild(Fd conn, Fd relay, const Peer& peer);

  std::string config_path_;
  Config config_;
  int64_t loaded_us_;    // when config_ was loaded, µs since the epoch
  ReloadRecord reload_;  // the last attempt to reread it
  Rights filter_;
  BindPtr bind_;
  std::unique_ptr<AuditLog> audit_;
  sigset_t signals_{};
  Fd signal_fd_;
  std::vector<Fd> passed_;  // systemd's sockets, until Start takes them
  bool inetd_;
  std::vector<Fd> listeners_;
  // What listeners_ are, for `sftpd status`: [server] listen as written,
  // or the local addresses of systemd's sockets.
  std::vector<std::string> listening_;
  bool own_sockets_ = false;  // opened on [server] listen: a reload compares
  Fd control_;  // [server] control_socket, when it could be opened
  std::string control_path_;   // where control_ is bound
  std::string pid_file_;       // beside it, while we run; "" when none
  std::string notify_socket_;  // $NOTIFY_SOCKET at start; "" when unset
  ConnectionTable children_;
  Defender defender_;   // kept across SIGHUP, with its bans
  AuditLimiter drops_;  // drops before key exchange, per address and rule
  std::vector<Proxied> proxied_;  // at most [server] max_startups
  std::map<pid_t, Relay> relays_;
  std::vector<uint8_t> relay_buffer_;  // one message at a time, reused
  bool audit_refusing_ = false;        // as the sessions were last told
  bool stopping_ = false;
  Clock::time_point term_at_{};  // when the grace period ends
  bool termed_ = false;          // children got SIGTERM
  bool killed_ = false;          // children got SIGKILL
};

}  // namespace sftpd

#endif  // SFTPD_SFTPD_DAEMON_LISTENER_H_

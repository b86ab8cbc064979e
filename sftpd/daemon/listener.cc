// The listener's loop: start (the bind, signals on a signalfd, the listen
// sockets, the control socket and pid file, systemd told it is ready), the
// poll loop, SIGHUP and `sftpd reload`, the graceful stop, and accepting
// connections: the early drops (bans, allow_from, the caps) and the fork
// of the child that serves each connection (daemon/connection.h).
#include "sftpd/daemon/listener.h"

#include <libssh/libssh.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "sftpd/base/io.h"
#include "sftpd/daemon/connection.h"
#include "sftpd/daemon/daemon.h"
#include "sftpd/daemon/lifecycle.h"
#include "sftpd/daemon/proxy_header.h"
#include "sftpd/frontdoor/config_report.h"
#include "sftpd/sandbox/capabilities.h"
#include "sftpd/sandbox/sandbox.h"

namespace sftpd {

namespace {

constexpr int kPollMillis = 1000;  // also how often children are reaped

// The detail of a drop, and of the line summing up those counted.
constexpr std::string_view kDroppedBeforeKex = "dropped before key exchange";

}  // namespace

Result<void> Listener::Start() {
  // Taken first, so no session process inherits it.
  notify_socket_ = TakeNotifySocket();
  if (ssh_init() != SSH_OK) return Error{"libssh initialisation failed"};
  Result<BindPtr> bind = MakeBind(config_);
  if (!bind) return Error{bind.error()};
  bind_ = std::move(*bind);
  audit_ = std::make_unique<AuditLog>(config_.audit, /*stderr_fallback=*/true);
  sigemptyset(&signals_);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGCHLD}) sigaddset(&signals_, sig);
  if (sigprocmask(SIG_BLOCK, &signals_, nullptr) != 0) {
    return Error{std::string("sigprocmask: ") + strerror(errno)};
  }
  signal_fd_ = Fd(signalfd(-1, &signals_, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signal_fd_.valid()) {
    return Error{std::string("signalfd: ") + strerror(errno)};
  }
  if (inetd_) return ServeInetd();
  if (Result<void> listening = passed_.empty() ? ListenOnConfig()
                                               : ListenOnPassed();
      !listening) {
    return listening;
  }
  OpenControl();
  if (control_.valid()) {
    // Beside the control socket, in the directory it checked: only the
    // daemon that holds the socket writes it.
    Result<std::string> pid_file = WritePidFile(ParentDir(control_path_));
    if (pid_file) {
      pid_file_ = *pid_file;
    } else {
      Say(LOG_WARNING, pid_file.error());
    }
  }
  TellSystemd("READY=1\nSTATUS=serving " + std::to_string(listeners_.size()) +
              " listen addresses");
  return {};
}

Result<void> Listener::ListenOnConfig() {
  for (const std::string& text : config_.server.listen) {
    Result<Fd> fd = Listen(text);
    if (!fd) return Error{fd.error()};
    listeners_.push_back(std::move(*fd));
    listening_.push_back(text);
    Say(LOG_INFO, "listening on " + text);
  }
  if (listeners_.empty()) return Error{"no [server] listen address"};
  own_sockets_ = true;
  return {};
}

Result<void> Listener::ListenOnPassed() {
  for (Fd& fd : passed_) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len);
    listening_.push_back(PeerOf(ss).text);
    listeners_.push_back(std::move(fd));
    Say(LOG_INFO, "listening on " + listening_.back() + " (systemd's socket)");
  }
  passed_.clear();
  const size_t n = listeners_.size();
  Say(LOG_NOTICE, "systemd passed " + std::to_string(n) + " listening socket" +
                      (n == 1 ? "" : "s") + "; [server] listen is not used");
  return {};
}

Result<void> Listener::ServeInetd() {
  // The connection is stdin (and stdout); the listener keeps a copy of its
  // own only until the child has it, so the connection ends with the child.
  Fd conn(fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3));
  if (!conn.valid()) {
    return Error{std::string("serve --inetd: stdin: ") + strerror(errno)};
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getpeername(conn.get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return Error{std::string("serve --inetd: stdin is not a connected "
                             "socket: ") +
                 strerror(errno)};
  }
  if (int err = StdioToDevNull(/*keep_stderr=*/true); err != 0) {
    return Error{std::string("/dev/null: ") + strerror(err)};
  }
  Receive(std::move(conn), PeerOf(ss));
  return {};
}

void Listener::TellSystemd(const std::string& state) {
  if (notify_socket_.empty()) return;
  if (Result<void> told = Notify(notify_socket_, state); !told) {
    Say(LOG_WARNING, "cannot tell systemd " +
                         state.substr(0, state.find('\n')) + ": " +
                         told.error());
  }
}

int Listener::Run() {
  for (;;) {
    if (inetd_ && children_.size() == 0 && proxied_.empty()) {
      // Its one connection has ended (or was dropped): nothing to wait for.
      WriteCounts(/*all=*/true);
      return 0;
    }
    std::vector<pollfd> fds = {{signal_fd_.get(), POLLIN, 0}};
    for (const Fd& l : listeners_) fds.push_back({l.get(), POLLIN, 0});
    const size_t control = fds.size();
    // The control socket (or an fd poll skips), the balancers' connections
    // whose header is due, then the relays.
    fds.push_back({control_.valid() ? control_.get() : -1, POLLIN, 0});
    const size_t first_proxied = fds.size();
    for (const Proxied& p : proxied_) fds.push_back({p.conn.get(), POLLIN, 0});
    const size_t first_relay = fds.size();
    std::vector<pid_t> relay_pids;
    for (const auto& [pid, relay] : relays_) {
      if (!relay.fd.valid()) continue;
      fds.push_back({relay.fd.get(), POLLIN, 0});
      relay_pids.push_back(pid);
    }
    int ready = poll(fds.data(), fds.size(), kPollMillis);
    if (ready < 0 && errno != EINTR) {
      Say(LOG_ERR, std::string("poll: ") + strerror(errno));
      return 1;
    }
    for (size_t i = first_relay; ready > 0 && i < fds.size(); ++i) {
      pid_t pid = relay_pids[i - first_relay];
      if (fds[i].revents != 0) ReadRelay(pid, relays_.at(pid));
    }
    if (fds[control].revents & POLLIN) AnswerControl();
    // Backwards, so that erasing one leaves the indexes before it valid.
    for (size_t i = first_relay; i-- > first_proxied;) {
      Proxied& p = proxied_[i - first_proxied];
      if (fds[i].revents != 0 && ReadProxyHeader(p)) {
        proxied_.erase(proxied_.begin() + std::ptrdiff_t(i - first_proxied));
      }
    }
    ExpireProxied(Clock::now());
    HandleSignals();
    Reap();
    WriteCounts(/*all=*/false);
    if (stopping_) {
      if (!Stopped()) continue;
      WriteCounts(/*all=*/true);
      if (control_.valid()) unlink(control_path_.c_str());
      if (!pid_file_.empty()) RemovePidFile(pid_file_, getpid());
      return 0;
    }
    for (size_t i = 1; ready > 0 && i < control; ++i) {
      if (fds[i].revents & POLLIN) Accept(fds[i].fd);
    }
  }
}

void Listener::HandleSignals() {
  // Bounded: the signalfd holds at most one pending instance per signal.
  for (int i = 0; i < 64; ++i) {
    signalfd_siginfo info;
    if (read(signal_fd_.get(), &info, sizeof info) !=
        static_cast<ssize_t>(sizeof info)) {
      return;
    }
    int sig = static_cast<int>(info.ssi_signo);
    if (sig == SIGHUP) {
      Reload("SIGHUP");
    } else if (sig == SIGTERM || sig == SIGINT) {
      if (!stopping_) {
        Say(LOG_NOTICE, std::string(sig == SIGTERM ? "SIGTERM" : "SIGINT") +
                            ": stopped listening; waiting up to " +
                            std::to_string(kShutdownGraceSeconds) + " s for " +
                            std::to_string(children_.size()) + " sessions");
        BeginShutdown();
      } else if (!termed_) {
        Say(LOG_NOTICE, "second stop signal: ending the grace period");
        term_at_ = Clock::now();
      }
    }
  }
}

void Listener::Reload(std::string_view trigger) {
  TellSystemd("RELOADING=1\nMONOTONIC_USEC=" +
              std::to_string(MonotonicMicros()));
  reload_.errors = LoadNewConfig(trigger);
  reload_.ok = reload_.errors.empty();
  reload_.count += 1;
  reload_.time_us = WallMicros();
  if (reload_.ok) loaded_us_ = reload_.time_us;
  // The audit file is reopened whatever became of the config: this is how
  // a rotated file is let go.
  if (audit_->settings() != config_.audit) {
    audit_ =
        std::make_unique<AuditLog>(config_.audit, /*stderr_fallback=*/true);
  } else if (Result<void> e = audit_->Reopen(); !e) {
    Say(LOG_ERR, std::string(trigger) + ": " + e.error() +
                     "; still writing the previous file");
  }
  SyncAuditState();
  TellSystemd(reload_.ok ? "READY=1\nSTATUS=configuration reloaded"
                         : "READY=1\nSTATUS=configuration reload refused; "
                           "the previous one is kept");
}

std::vector<std::string> Listener::LoadNewConfig(std::string_view trigger) {
  const std::string t(trigger);
  auto refused = [&](std::vector<std::string> errors, const std::string& why) {
    Say(LOG_ERR, t + ": " + why + "; keeping the previous one");
    errors.push_back(why);
    return errors;
  };
  LoadResult loaded = LoadConfig(config_path_);
  if (!loaded.config) {
    std::vector<std::string> errors;
    for (const ConfigError& e : loaded.errors) {
      Say(LOG_ERR, e.ToString());
      errors.push_back(e.ToString());
    }
    return refused(std::move(errors),
                   "configuration " + config_path_ + " has errors");
  }
  Result<BindPtr> bind = MakeBind(*loaded.config);
  if (!bind) return refused({}, bind.error() + " with the new configuration");
  if (own_sockets_ &&
      !SameListenAddresses(loaded.config->server.listen, listening_)) {
    Say(LOG_WARNING,
        t + ": [server] listen changed; still listening on the previous "
            "addresses until restart");
  }
  if (loaded.config->server.control_socket != config_.server.control_socket) {
    Say(LOG_WARNING,
        t + ": [server] control_socket changed; the previous one is used "
            "until restart");
  }
  for (const std::string& w : EntryWarnings(*loaded.config)) {
    Say(LOG_WARNING, t + ": warning: " + w);
  }
  config_ = std::move(*loaded.config);
  filter_ = ListenerFilter(config_);
  children_.set_limits(ConnectionLimits::Of(config_.server));
  const DefenderSection& was = defender_.settings();
  if (was.enabled && config_.defender.enabled &&
      (was.ipv6_prefix != config_.defender.ipv6_prefix ||
       was.ipv6_wide_prefix != config_.defender.ipv6_wide_prefix)) {
    const std::string from = "/" + std::to_string(was.ipv6_prefix) + " and /" +
                             std::to_string(was.ipv6_wide_prefix);
    const std::string to = "/" + std::to_string(config_.defender.ipv6_prefix) +
                           " and /" +
                           std::to_string(config_.defender.ipv6_wide_prefix);
    const size_t forgotten = defender_.set_settings(config_.defender);
    Say(LOG_NOTICE, t + ": [defender] IPv6 prefixes changed from " + from +
                        " to " + to + ": the scores of " +
                        std::to_string(forgotten) +
                        " IPv6 networks are forgotten; bans in force are kept");
  } else {
    defender_.set_settings(config_.defender);
  }
  bind_ = std::move(*bind);
  Say(LOG_NOTICE,
      t + ": reloaded configuration " + config_path_ + " for new connections");
  return {};
}

void Listener::BeginShutdown() {
  stopping_ = true;
  TellSystemd("STOPPING=1");
  listeners_.clear();  // closes them: new clients are refused by the kernel
  proxied_.clear();    // and those whose balancer has not named them yet
  term_at_ = Clock::now() + std::chrono::seconds(kShutdownGraceSeconds);
}

bool Listener::Stopped() {
  if (children_.size() == 0) {
    Say(LOG_NOTICE, "every session has ended; exiting");
    return true;
  }
  Clock::time_point now = Clock::now();
  if (!termed_ && now >= term_at_) {
    termed_ = true;
    Signal(SIGTERM, "grace period over");
  }
  if (termed_ && !killed_ &&
      now >= term_at_ + std::chrono::seconds(kShutdownKillSeconds)) {
    killed_ = true;
    Signal(SIGKILL, "sessions still running");
  }
  return false;
}

void Listener::Signal(int sig, const char* why) {
  std::vector<pid_t> pids = children_.Pids();
  Say(LOG_WARNING, std::string(why) + ": sending " +
                       (sig == SIGKILL ? "SIGKILL" : "SIGTERM") + " to " +
                       std::to_string(pids.size()) + " sessions");
  for (pid_t pid : pids) kill(pid, sig);
}

void Listener::Drop(const Peer& peer, std::string_view rule,
                    const std::string& why) {
  const std::string address = peer.address ? peer.address->ToString() : "";
  const AuditKind kind = AuditKind::Of({.op = "login",
                                        .result = "refused",
                                        .rule = rule,
                                        .detail = kDroppedBeforeKex},
                                       address);
  if (!drops_.Admit(kind, Clock::now())) return;  // counted
  Say(LOG_WARNING, "dropped connection from " + peer.text + ": " + why);
  Record({.address = address, .port = peer.port},
         {.op = "login",
          .result = "refused",
          .rule = rule,
          .detail = std::string(kDroppedBeforeKex) + ": " + why});
}

void Listener::WriteCounts(bool all) {
  const Clock::time_point now = Clock::now();
  for (auto& [pid, relay] : relays_) {
    for (const AuditLimiter::Summary& s : relay.limiter.Take(now, all)) {
      Record(relay.who, SummaryEvent(s));
    }
    WriteLineCounts(pid, relay, now, all);
  }
  for (const AuditLimiter::Summary& s : drops_.Take(now, all)) {
    const std::string from =
        s.kind.address.empty() ? "other addresses" : s.kind.address;
    Say(LOG_WARNING, "dropped " + std::to_string(s.count) +
                         " more connections from " + from + " (" +
                         (s.kind.rule.empty() ? s.kind.detail : s.kind.rule) +
                         ")");
    Record({.address = s.kind.address}, SummaryEvent(s));
  }
}

void Listener::Offend(const Address& address, Offence offence) {
  // A balancer stands for many clients; each is scored by its own address.
  if (FromBalancer(address)) return;
  const Defender::Began began = defender_.Add(address, offence, Clock::now());
  if (!began) return;
  const std::string client = address.ToString();
  const std::string last =
      ", last offence: " + std::string(OffenceName(offence));
  auto announce = [&](const Defender::Ban& ban, const std::string& reached) {
    // The detail names an IPv6 prefix (the record's addr is the client's).
    const std::string why = "for " +
                            std::to_string(defender_.settings().ban_time) +
                            " s: " + reached + last;
    const bool v4 = address.IsV4();
    Say(LOG_WARNING, "banned " + ban.address + " " + why +
                         (v4 ? "" : " (client " + client + ")"));
    Record({.address = client}, {.op = "ban",
                                 .result = "banned",
                                 .rule = "defender",
                                 .detail = v4 ? why : ban.address + " " + why});
  };
  if (began.network) {
    announce(*began.network,
             "score " + std::to_string(began.network->score) + " reached");
  }
  if (began.wide) {
    announce(*began.wide, std::to_string(began.wide->score) + " of its /" +
                              std::to_string(defender_.settings().ipv6_prefix) +
                              " networks offending");
  }
  // Its connections that have not logged in yet end too.
  for (const auto& [pid, relay] : relays_) {
    if (!relay.admitted && defender_.BannedUntil(relay.address, Clock::now())) {
      kill(pid, SIGTERM);
    }
  }
}

void Listener::Accept(int listen_fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  Fd conn(
      accept4(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC));
  if (!conn.valid()) return;  // the client left first, or EMFILE
  Receive(std::move(conn), PeerOf(ss));
}

void Listener::Receive(Fd conn, const Peer& peer) {
  if (peer.address && FromBalancer(*peer.address)) {
    // Served once its header names the client (Run reads it).
    if (proxied_.size() >= size_t(config_.server.max_startups)) {
      Drop(peer, "max_startups",
           std::to_string(proxied_.size()) +
               " connections from balancers wait for their PROXY header");
      return;
    }
    proxied_.push_back({.conn = std::move(conn),
                        .balancer = peer,
                        .deadline = Clock::now() + std::chrono::seconds(
                                                       kProxyHeaderSeconds),
                        .header = {}});
    return;
  }
  // A header from anywhere else would name any client it liked. What has
  // come with the connection is looked at; a header that comes later is
  // not an SSH version line, and key exchange refuses it.
  uint8_t first[16];
  const ssize_t n = recv(conn.get(), first, sizeof first, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0 && SendsProxyHeader({first, size_t(n)})) {
    Drop(peer, "proxy_from", kProxyHeaderNotTrusted);
    if (peer.address) Offend(*peer.address, Offence::kProxyHeader);
    return;
  }
  Serve(std::move(conn), peer);
}

bool Listener::FromBalancer(const Address& address) const {
  const std::vector<Cidr>& from = config_.server.proxy_from;
  return std::any_of(from.begin(), from.end(),
                     [&](const Cidr& c) { return c.Contains(address); });
}

bool Listener::ReadProxyHeader(Proxied& p) {
  uint8_t buf[kMaxProxyHeader];
  // Peeked first: the client's bytes that follow the header stay where
  // key exchange reads them.
  const ssize_t n = recv(p.conn.get(), buf, kMaxProxyHeader - p.header.size(),
                         MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
  if (n <= 0) {
    // Closed (or reset, as HAProxy ends its checks) before a byte: a
    // balancer's TCP health check (without send-proxy), not worth a line
    // each time.
    if (p.header.empty() && (n == 0 || errno == ECONNRESET)) return true;
    Drop(p.balancer, "proxy_from",
         n == 0 ? "closed within its PROXY header"
                : std::string("reading its PROXY header: ") + strerror(errno));
    return true;
  }
  std::vector<uint8_t> all = p.header;
  all.insert(all.end(), buf, buf + n);
  const Result<std::optional<ProxyHeader>> parsed = ParseProxyHeader(all);
  if (!parsed) {
    Drop(p.balancer, "proxy_from", "malformed PROXY header: " + parsed.error());
    return true;
  }
  // Every byte peeked belongs to the header while it is not whole.
  const size_t take = *parsed ? (*parsed)->size - p.header.size() : size_t(n);
  if (recv(p.conn.get(), buf, take, MSG_DONTWAIT) != ssize_t(take)) {
    Drop(p.balancer, "proxy_from", "reading its PROXY header failed");
    return true;
  }
  if (!*parsed) {
    p.header.insert(p.header.end(), buf, buf + take);
    return false;
  }
  const ProxyHeader& header = **parsed;
  // The balancer checking the node is up: it knows that from the connect.
  if (header.local) return true;
  if (!header.client) {
    Drop(p.balancer, "proxy_from",
         "the PROXY header names no client address");
    return true;
  }
  Serve(std::move(p.conn), *header.client);
  return true;
}

void Listener::ExpireProxied(Clock::time_point now) {
  std::erase_if(proxied_, [&](const Proxied& p) {
    if (now < p.deadline) return false;
    Drop(p.balancer, "proxy_from",
         "no PROXY header within " + std::to_string(kProxyHeaderSeconds) +
             " s");
    return true;
  });
}

void Listener::Serve(Fd conn, const Peer& peer) {
  if (!Admits(peer)) return;
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    Say(LOG_ERR, std::string("socketpair: ") + strerror(errno));
    return;
  }
  Fd ours(pair[0]), theirs(pair[1]);
  pid_t pid = fork();
  if (pid < 0) {
    Say(LOG_ERR, std::string("fork: ") + strerror(errno));
    return;
  }
  if (pid == 0) {
    ours.Reset();
    ServeChild(std::move(conn), std::move(theirs), peer);
  }
  children_.Add(pid, *peer.address);
  Relay& relay = relays_[pid];
  relay.fd = std::move(ours);
  relay.address = *peer.address;
  relay.who = {.session = NewSessionId(),
               .address = peer.address->ToString(),
               .port = peer.port};
}

bool Listener::Admits(const Peer& peer) {
  if (peer.address) {
    if (auto until = defender_.BannedUntil(*peer.address, Clock::now())) {
      const auto left =
          std::chrono::ceil<std::chrono::seconds>(*until - Clock::now());
      Drop(peer, "defender",
           "address banned for " + std::to_string(left.count()) + " more s");
      return false;
    }
  }
  // Each drop below counts against its address too, so an address that
  // floods the listener with connections it drops ends up banned.
  if (!peer.address || !filter_.Allows(*peer.address)) {
    Drop(peer, "allow_from", "address not in any allow_from");
    if (peer.address) Offend(*peer.address, Offence::kNotAllowed);
    return false;
  }
  const ConnectionLimits& limits = children_.limits();
  switch (children_.Check(*peer.address)) {
    case ConnectionTable::Admission::kAdmit:
      return true;
    case ConnectionTable::Admission::kTooMany:
      Drop(peer, "max_connections",
           std::to_string(limits.max_total) + " connections already");
      Offend(*peer.address, Offence::kOverLimit);
      return false;
    case ConnectionTable::Admission::kTooManyFromAddress:
      Drop(peer, "max_connections_per_address",
           std::to_string(limits.max_per_address) +
               " connections from that address already");
      Offend(*peer.address, Offence::kOverLimit);
      return false;
    case ConnectionTable::Admission::kTooManyStartupsFromAddress:
      // Not an offence: a burst of logins from behind one NAT looks the
      // same; connections held until login_grace_time are scored anyway.
      Drop(peer, "max_startups_per_address",
           std::to_string(limits.max_startups_per_address) +
               " connections from that address not yet authenticated");
      return false;
    case ConnectionTable::Admission::kTooManyStartups:
      Drop(peer, "max_startups",
           std::to_string(limits.max_startups) +
               " connections not yet authenticated");
      Offend(*peer.address, Offence::kOverLimit);
      return false;
    case ConnectionTable::Admission::kStartupDropped:
      Drop(peer, "max_startups",
           "random early drop: " + std::to_string(children_.CountStartups()) +
               " connections not yet authenticated (max_startups " +
               std::to_string(limits.startups_begin) + ":" +
               std::to_string(limits.startups_rate) + ":" +
               std::to_string(limits.max_startups) + ")");
      return false;
  }
  return false;
}
void Listener::ServeChild(Fd conn, Fd relay, const Peer& peer) {
  listeners_.clear();
  control_.Reset();
  signal_fd_.Reset();
  // Other sessions' channels: a child holding them could speak for them.
  relays_.clear();
  proxied_.clear();
  audit_.reset();
  // No way to the journal or syslog but the listener: its lines go over
  // the relay (the listener limits them), stdio is /dev/null (a sanitizer
  // build keeps stderr for its reports), and every other descriptor the
  // listener held or was started with is closed. PAM modules that log
  // before the login open syslog anew; that is closed again before the
  // drop to the user (connection.cc).
  closelog();
  const int relay_fd = relay.get();
  SendLinesTo([relay_fd](int priority, std::string_view line, bool to_stderr) {
    RelayAudit(relay_fd).Log(priority, line, to_stderr);
  });
  if (int err = StdioToDevNull(kSanitizerBuild); err != 0) {
    Say(LOG_ERR, std::string("/dev/null: ") + strerror(err));
    _exit(1);
  }
  CloseFdsExcept({conn.get(), relay.get()});
  // What it may change on disk, where no AppArmor profile confines it
  // (sandbox.h); the login line says which. A daemon that is not root runs
  // as its one user already, whose PAM account check runs a setgid helper
  // (unix_chkpwd): nothing to guard there before login.
  Result<std::string> before = std::string("not root");
  if (geteuid() == 0) {
    std::vector<std::string> writable;
    for (const Export& e : config_.exports) {
      writable.push_back(FixedDirectory(e.path));
    }
    const Result<Layers> layers = LayersFromEnvironment();
    before = sandbox::ConfineBeforeLogin(writable, layers ? *layers : Layers{});
  }
  if (!before) {
    Say(LOG_ERR, before.error());
    _exit(1);
  }
  // Its memory holds the host key libssh signs rekeyings with: no core
  // file, and no tracing or reading of /proc/PID/mem by the user it becomes
  // (the drop would clear this too, but not on every fs.suid_dumpable).
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // Root still, for PAM and the drop to the user, but with only the
  // capabilities those need (the drop: setuid, setgid; pam_loginuid and
  // PAM's audit records: audit_control, audit_write): a flaw in key
  // exchange, libssh's parsing or authentication cannot override file
  // modes, own or signal others' processes, load modules or take back a
  // capability through execve.
  if (Result<void> kept = sandbox::KeepOnly(
          {CAP_SETUID, CAP_SETGID, CAP_AUDIT_CONTROL, CAP_AUDIT_WRITE});
      !kept) {
    Say(LOG_ERR, kept.error());
    _exit(1);
  }
  // A session is stopped by plain signals, as any process: the listener's
  // blocked set would otherwise be inherited and SIGTERM ignored.
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) signal(sig, SIG_DFL);
  sigprocmask(SIG_UNBLOCK, &signals_, nullptr);
  _exit(ServeConnection(config_, std::move(bind_), conn.Release(),
                        relay.Release(), peer, *before));
}

}  // namespace sftpd

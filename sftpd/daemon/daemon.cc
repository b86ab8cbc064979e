#include "sftpd/daemon/daemon.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libssh/libssh.h>
#include <libssh/server.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>

#include "sftpd/audit/audit.h"
#include "sftpd/audit/limit.h"
#include "sftpd/audit/relay.h"
#include "sftpd/base/fd.h"
#include "sftpd/base/log_line.h"
#include "sftpd/control/control.h"
#include "sftpd/control/daemon_status.h"
#include "sftpd/daemon/connection.h"
#include "sftpd/daemon/defender.h"
#include "sftpd/daemon/lifecycle.h"
#include "sftpd/frontdoor/config_report.h"
#include "sftpd/frontdoor/identity.h"

namespace sftpd {

namespace {

// User key types accepted for publickey logins: no SHA-1 (ssh-rsa), no DSA.
constexpr const char* kUserKeyAlgorithms =
    "ssh-ed25519,ecdsa-sha2-nistp521,ecdsa-sha2-nistp384,"
    "ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256";
constexpr int kPollMillis = 1000;  // also how often children are reaped

int Fail(const std::string& why) {
  Say(LOG_ERR, why);
  return 1;
}

struct BindFree {
  void operator()(ssh_bind b) const { ssh_bind_free(b); }
};
using BindPtr = std::unique_ptr<ssh_bind_struct, BindFree>;

// Loads `path` into `bind`, generating an ed25519 key there first when the
// file does not exist.
std::optional<std::string> AddHostKey(ssh_bind bind, const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0 && errno == ENOENT) {
    ssh_key fresh = nullptr;
    if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &fresh) != SSH_OK) {
      return "cannot generate a host key";
    }
    mode_t old = umask(077);  // libssh creates the file under our umask
    int rc = ssh_pki_export_privkey_file(fresh, nullptr, nullptr, nullptr,
                                         path.c_str());
    umask(old);
    ssh_key_free(fresh);
    if (rc != SSH_OK) return "cannot write host key " + path;
    Say(LOG_NOTICE, "generated host key " + path);
  }
  // libssh says only that it failed; find out why first, so the message
  // names the file and the reason.
  Fd probe(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!probe.valid()) {
    return "cannot read host key " + path + ": " + strerror(errno) +
           (geteuid() != 0 ? " (running as uid " + std::to_string(geteuid()) +
                                 ", not root)"
                           : "");
  }
  if (fstat(probe.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return "cannot read host key " + path + ": not a regular file";
  }
  if (st.st_size == 0) {
    return "cannot read host key " + path + ": the file is empty";
  }
  ssh_key key = nullptr;
  if (ssh_pki_import_privkey_file(path.c_str(), nullptr, nullptr, nullptr,
                                  &key) != SSH_OK) {
    return "cannot read host key " + path +
           ": not an unencrypted private key in OpenSSH or PEM format "
           "(make one with ssh-keygen -t ed25519 -N '' -f " +
           path + ", or remove the file and a new one is made at start)";
  }
  // The bind owns the key from here on.
  if (ssh_bind_options_set(bind, SSH_BIND_OPTIONS_IMPORT_KEY, key) != SSH_OK) {
    ssh_key_free(key);
    return "cannot use host key " + path + ": " + ssh_get_error(bind);
  }
  return std::nullopt;
}

Result<BindPtr> MakeBind(const Config& config) {
  BindPtr bind(ssh_bind_new());
  if (!bind) return Error{"ssh_bind_new failed"};
  bool no = false;
  // The config allows only modern names (config.h's kAllowed* lists).
  auto joined = [](const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ",") + n;
    return out;
  };
  const std::string kex = joined(config.server.kex);
  const std::string ciphers = joined(config.server.ciphers);
  const std::string macs = joined(config.server.macs);
  const std::string host_keys = joined(config.server.host_key_algorithms);
  struct Option {
    ssh_bind_options_e key;
    const void* value;
  };
  const Option options[] = {
      {SSH_BIND_OPTIONS_PROCESS_CONFIG, &no},
      {SSH_BIND_OPTIONS_KEY_EXCHANGE, kex.c_str()},
      {SSH_BIND_OPTIONS_CIPHERS_C_S, ciphers.c_str()},
      {SSH_BIND_OPTIONS_CIPHERS_S_C, ciphers.c_str()},
      {SSH_BIND_OPTIONS_HMAC_C_S, macs.c_str()},
      {SSH_BIND_OPTIONS_HMAC_S_C, macs.c_str()},
      {SSH_BIND_OPTIONS_HOSTKEY_ALGORITHMS, host_keys.c_str()},
      {SSH_BIND_OPTIONS_PUBKEY_ACCEPTED_KEY_TYPES, kUserKeyAlgorithms},
  };
  for (const Option& o : options) {
    if (ssh_bind_options_set(bind.get(), o.key, o.value) != SSH_OK) {
      return Error{std::string("ssh_bind option: ") +
                   ssh_get_error(bind.get())};
    }
  }
  for (const std::string& path : config.server.host_keys) {
    if (std::optional<std::string> e = AddHostKey(bind.get(), path)) {
      return Error{*e};
    }
  }
  return bind;
}

Result<Fd> Listen(const std::string& text) {
  Result<ListenAddress> a = ParseListenAddress(text);
  if (!a) return Error{a.error()};
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port = std::to_string(a->port);
  if (int rc = getaddrinfo(a->host.c_str(), port.c_str(), &hints, &res)) {
    return Error{"listen " + text + ": " + gai_strerror(rc)};
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(res, freeaddrinfo);
  Fd fd(socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Error{"socket: " + std::string(strerror(errno))};
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // [::] and 0.0.0.0 are separate entries; each socket serves its family.
  if (res->ai_family == AF_INET6) {
    setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  }
  if (bind(fd.get(), res->ai_addr, res->ai_addrlen) != 0 ||
      listen(fd.get(), 128) != 0) {
    return Error{"listen " + text + ": " + strerror(errno)};
  }
  return fd;
}

Peer PeerOf(const sockaddr_storage& ss) {
  Peer peer;
  char host[INET6_ADDRSTRLEN] = "";
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    peer.port = ntohs(in->sin_port);
    peer.text = std::string(host) + ":" + std::to_string(peer.port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    peer.port = ntohs(in6->sin6_port);
    peer.text = "[" + std::string(host) + "]:" + std::to_string(peer.port);
  }
  peer.address = Address::Parse(host);
  return peer;
}

}  // namespace

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  ListenAddress a;
  std::string_view port;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() ||
        text[close + 1] != ':') {
      return Error{"listen address " + std::string(text) +
                   ": expected [address]:port"};
    }
    a.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return Error{"listen address " + std::string(text) + ": no port"};
    }
    a.host = std::string(text.substr(0, colon));
    if (a.host.find(':') != std::string::npos) {
      return Error{"listen address " + std::string(text) +
                   ": an IPv6 address needs brackets"};
    }
    port = text.substr(colon + 1);
  }
  if (a.host.empty()) {
    return Error{"listen address " + std::string(text) + ": empty host"};
  }
  auto [end, ec] =
      std::from_chars(port.data(), port.data() + port.size(), a.port);
  if (ec != std::errc() || end != port.data() + port.size() || a.port < 1 ||
      a.port > 65535) {
    return Error{"listen address " + std::string(text) +
                 ": port must be 1..65535"};
  }
  return a;
}

bool SameListenAddresses(const std::vector<std::string>& a,
                         const std::vector<std::string>& b) {
  auto canonical = [](const std::vector<std::string>& list) {
    std::set<std::string> out;
    for (const std::string& text : list) {
      Result<ListenAddress> l = ParseListenAddress(text);
      if (!l) {
        out.insert(text);
        continue;
      }
      std::string host = l->host;
      unsigned char bytes[sizeof(in6_addr)];
      char buf[INET6_ADDRSTRLEN];
      if (inet_pton(AF_INET, host.c_str(), bytes) == 1) {
        host = inet_ntop(AF_INET, bytes, buf, sizeof buf);
      } else if (inet_pton(AF_INET6, host.c_str(), bytes) == 1) {
        host = "[" + std::string(inet_ntop(AF_INET6, bytes, buf, sizeof buf)) +
               "]";
      }
      out.insert(host + ":" + std::to_string(l->port));
    }
    return out;
  };
  return canonical(a) == canonical(b);
}

Rights ListenerFilter(const Config& config) {
  Rights r;
  for (const auto* list : {&config.users, &config.groups}) {
    for (const Grant& g : *list) {
      r.found = true;
      if (g.allow_from.empty()) r.any_address = true;
      r.allow_from.insert(r.allow_from.end(), g.allow_from.begin(),
                          g.allow_from.end());
    }
  }
  return r;
}

ConnectionLimits ConnectionLimits::Of(const ServerSection& server) {
  return {.max_total = size_t(server.max_connections),
          .max_per_address = size_t(server.max_connections_per_address),
          .max_startups = size_t(server.max_startups),
          .max_per_user = size_t(server.max_sessions_per_user),
          .startups_begin = size_t(server.max_startups_begin),
          .startups_rate = unsigned(server.max_startups_rate),
          .max_startups_per_address = size_t(server.max_startups_per_address)};
}

bool DropsStartup(const ConnectionLimits& limits, size_t startups,
                  uint32_t percentile) {
  if (startups >= limits.max_startups) return true;
  if (startups < limits.startups_begin) return false;
  // startups_begin <= startups < max_startups: the span is not empty.
  const size_t span = limits.max_startups - limits.startups_begin;
  const size_t rate = std::min<size_t>(limits.startups_rate, 100);
  const size_t p =
      rate + (100 - rate) * (startups - limits.startups_begin) / span;
  return percentile < p;
}

uint32_t SystemPercentile() { return arc4random_uniform(100); }

ConnectionTable::Admission ConnectionTable::Check(
    const Address& address) const {
  if (children_.size() >= limits_.max_total) return Admission::kTooMany;
  if (CountFrom(address) >= limits_.max_per_address) {
    return Admission::kTooManyFromAddress;
  }
  if (CountStartupsFrom(address) >= limits_.max_startups_per_address) {
    return Admission::kTooManyStartupsFromAddress;
  }
  const size_t startups = CountStartups();
  if (startups >= limits_.max_startups) return Admission::kTooManyStartups;
  if (startups >= limits_.startups_begin &&
      DropsStartup(limits_, startups, draw_())) {
    return Admission::kStartupDropped;
  }
  return Admission::kAdmit;
}

void ConnectionTable::Add(pid_t pid, const Address& address) {
  children_.emplace(pid, Child{address, ""});
}

bool ConnectionTable::Admit(pid_t pid, const std::string& user) {
  auto it = children_.find(pid);
  if (it == children_.end() || !it->second.user.empty() || user.empty() ||
      CountUser(user) >= limits_.max_per_user) {
    return false;
  }
  it->second.user = user;
  return true;
}

bool ConnectionTable::Forget(pid_t pid) { return children_.erase(pid) > 0; }

size_t ConnectionTable::CountFrom(const Address& address) const {
  size_t n = 0;
  for (const auto& [pid, c] : children_) n += c.address == address ? 1 : 0;
  return n;
}

size_t ConnectionTable::CountUser(const std::string& user) const {
  size_t n = 0;
  for (const auto& [pid, c] : children_) n += c.user == user ? 1 : 0;
  return n;
}

size_t ConnectionTable::CountStartups() const { return CountUser(""); }

size_t ConnectionTable::CountStartupsFrom(const Address& address) const {
  size_t n = 0;
  for (const auto& [pid, c] : children_) {
    n += c.user.empty() && c.address == address ? 1 : 0;
  }
  return n;
}

std::vector<pid_t> ConnectionTable::Pids() const {
  std::vector<pid_t> pids;
  for (const auto& [pid, a] : children_) pids.push_back(pid);
  return pids;
}

namespace {

using Clock = std::chrono::steady_clock;

// Relay messages read from one child per poll turn, so one chatty child
// cannot starve the others.
constexpr int kRelayBurst = 256;

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
  // For `sftpd sessions`: when it was admitted, and its last progress.
  int64_t since_us = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  std::string current;
};

// Who the events of SFTP channel `channel` of a connection are: its first
// channel (and all before it) is the connection's session id "ID", each
// later one "ID.2", "ID.3"... in the order their sessions started.
AuditIdentity ChannelIdentity(const AuditIdentity& who, uint32_t channel) {
  AuditIdentity id = who;
  if (channel > kFirstChannel) id.session += "." + std::to_string(channel);
  return id;
}

// Whether `target` (of `sftpd kick`) names session `id` or one of its
// channels ("ID.2").
bool NamesSession(std::string_view target, std::string_view id) {
  return target == id ||
         (target.size() > id.size() && target.substr(0, id.size()) == id &&
          target[id.size()] == '.');
}

int64_t WallMicros() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return int64_t(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
}

int64_t MonotonicMicros() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
}

// How long a control client may take to send its request or read the
// answer; the listener waits for nothing else meanwhile.
constexpr int kControlTimeoutMillis = 1000;

// How a reaped child ended, for its audit line.
std::string HowItEnded(int status) {
  if (WIFSIGNALED(status)) {
    return "ended abnormally: killed by signal " +
           std::to_string(WTERMSIG(status));
  }
  return "ended abnormally: exit status " +
         std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

// The listener's state between start and exit. Signals arrive on a signalfd
// (they stay blocked), so no handler runs and the poll loop wakes for them.
class Listener {
 public:
  Listener(std::string config_path, Config config)
      : config_path_(std::move(config_path)),
        config_(std::move(config)),
        loaded_us_(WallMicros()),
        filter_(ListenerFilter(config_)),
        children_(ConnectionLimits::Of(config_.server)),
        defender_(config_.defender),
        drops_(kDropAuditBudget) {}

  // Everything that can fail at start; an error says why.
  std::optional<std::string> Start();
  // The poll loop; returns the exit status.
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
  // Audits and logs a connection dropped before key exchange, as often as
  // drops_ lets it for its address and rule; the others are counted.
  void Drop(const Peer& peer, std::string_view rule, const std::string& why);
  // Writes the counts of refusals and drops whose window ended, or all of
  // them with `all` (at exit).
  void WriteCounts(bool all);
  // Writes what `relay`'s limiter still counts (the session ended).
  void WriteCounts(Relay& relay);
  // Scores `offence` against `address`; audits and logs a ban it begins.
  void Offend(const Address& address, Offence offence);
  // Reads what child `pid` sent (bounded) and acts on it.
  void ReadRelay(pid_t pid, Relay& relay);
  void OnRelayMessage(pid_t pid, Relay& relay, const RelayMessage& m);
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
  std::vector<Fd> listeners_;
  Fd control_;  // [server] control_socket, when it could be opened
  std::string control_path_;   // where control_ is bound
  std::string pid_file_;       // beside it, while we run; "" when none
  std::string notify_socket_;  // $NOTIFY_SOCKET at start; "" when unset
  ConnectionTable children_;
  Defender defender_;   // kept across SIGHUP, with its bans
  AuditLimiter drops_;  // drops before key exchange, per address and rule
  std::map<pid_t, Relay> relays_;
  std::vector<uint8_t> relay_buffer_;  // one message at a time, reused
  bool audit_refusing_ = false;        // as the sessions were last told
  bool stopping_ = false;
  Clock::time_point term_at_{};  // when the grace period ends
  bool termed_ = false;          // children got SIGTERM
  bool killed_ = false;          // children got SIGKILL
};

std::optional<std::string> Listener::Start() {
  // Taken first, so no session process inherits it.
  notify_socket_ = TakeNotifySocket();
  if (ssh_init() != SSH_OK) return "libssh initialisation failed";
  Result<BindPtr> bind = MakeBind(config_);
  if (!bind) return bind.error();
  bind_ = std::move(*bind);
  audit_ = std::make_unique<AuditLog>(config_.audit, /*stderr_fallback=*/true);
  sigemptyset(&signals_);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGCHLD}) sigaddset(&signals_, sig);
  if (sigprocmask(SIG_BLOCK, &signals_, nullptr) != 0) {
    return std::string("sigprocmask: ") + strerror(errno);
  }
  signal_fd_ = Fd(signalfd(-1, &signals_, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signal_fd_.valid()) return std::string("signalfd: ") + strerror(errno);
  for (const std::string& text : config_.server.listen) {
    Result<Fd> fd = Listen(text);
    if (!fd) return fd.error();
    listeners_.push_back(std::move(*fd));
    Say(LOG_INFO, "listening on " + text);
  }
  if (listeners_.empty()) return "no [server] listen address";
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
  return std::nullopt;
}

void Listener::TellSystemd(const std::string& state) {
  if (notify_socket_.empty()) return;
  if (std::optional<std::string> e = Notify(notify_socket_, state)) {
    Say(LOG_WARNING,
        "cannot tell systemd " + state.substr(0, state.find('\n')) + ": " + *e);
  }
}

void Listener::OpenControl() {
  const std::string& path = config_.server.control_socket;
  if (path.empty()) return;
  Result<Fd> fd = ListenControl(path);
  if (!fd) {
    Say(LOG_WARNING, fd.error() +
                         "; sftpd sessions, kick, status, reload, "
                         "bans and unban will not reach this "
                         "daemon");
    return;
  }
  control_ = std::move(*fd);
  control_path_ = path;
  Say(LOG_INFO, "control socket " + path);
}

void Listener::AnswerControl() {
  Fd c(accept4(control_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!c.valid()) return;
  const timeval tv{kControlTimeoutMillis / 1000,
                   (kControlTimeoutMillis % 1000) * 1000};
  setsockopt(c.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(c.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  // One line, read before anything is answered (a close with the request
  // unread would reset the connection and lose the answer): at most
  // kMaxControlRequest bytes, within the timeout.
  std::string line;
  char ch;
  while (line.size() < kMaxControlRequest && recv(c.get(), &ch, 1, 0) == 1 &&
         ch != '\n') {
    line += ch;
  }
  const std::optional<uid_t> peer = PeerUid(c.get());
  std::string answer;
  if (!peer || *peer != 0) {
    const std::string who =
        peer ? "uid " + std::to_string(*peer) : std::string("an unknown peer");
    Record({}, {.op = "control",
                .result = "refused",
                .rule = "control socket: root only",
                .detail = who});
    answer = std::string(kControlError) + "root only\n";
  } else {
    std::optional<ControlRequest> r = ParseControlRequest(line);
    answer = r ? ControlAnswer(*r, *peer)
               : std::string(kControlError) +
                     "unknown request; expected sessions, kick "
                     "USER|SESSION, status, reload, bans or unban ADDRESS\n";
  }
  std::string_view rest = answer;
  while (!rest.empty()) {
    const ssize_t n = send(c.get(), rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n <= 0) break;
    rest.remove_prefix(size_t(n));
  }
}

DaemonStatus Listener::Status() {
  DaemonStatus s{.pid = getpid(),
                 .config = config_path_,
                 .loaded_us = loaded_us_,
                 .listen = config_.server.listen,
                 .sessions = 0,
                 .connections = children_.size(),
                 .pid_file = pid_file_,
                 .reload = reload_,
                 .bans = {}};
  for (const auto& [pid, relay] : relays_) s.sessions += relay.admitted ? 1 : 0;
  const Clock::time_point now = Clock::now();
  for (const Defender::Ban& b : defender_.Bans(now)) {
    s.bans.push_back(
        {.address = b.address,
         .score = b.score,
         .seconds_left =
             std::chrono::ceil<std::chrono::seconds>(b.until - now).count()});
  }
  return s;
}

std::string Listener::UnbanAnswer(const std::string& target, uid_t peer) {
  std::optional<Address> a = ParseBanTarget(target);
  if (!a) {
    return std::string(kControlError) + "'" + target + "' is not an address\n";
  }
  if (!defender_.Unban(*a, Clock::now())) {
    return std::string(kControlError) + "no ban on " + target + "\n";
  }
  const std::string what =
      a->IsV4() ? a->ToString() : a->ToString() + " (its /64)";
  Say(LOG_NOTICE, "unbanned " + what + " (sftpd unban)");
  Record({.address = a->ToString()},
         {.op = "unban",
          .rule = "defender",
          .detail = "sftpd unban by uid " + std::to_string(peer)});
  return "unbanned " + what + "\n";
}

std::string Listener::ControlAnswer(const ControlRequest& r, uid_t peer) {
  switch (r.verb) {
    case ControlRequest::Verb::kSessions:
    case ControlRequest::Verb::kKick:
      return KickAnswer(r, peer);
    case ControlRequest::Verb::kStatus:
      return FormatStatus(Status());
    case ControlRequest::Verb::kReload:
      Reload("sftpd reload");
      return FormatStatus(Status());
    case ControlRequest::Verb::kBans: {
      std::string answer;
      for (const BanEntry& b : Status().bans) answer += FormatBan(b);
      return answer;
    }
    case ControlRequest::Verb::kUnban:
      return UnbanAnswer(r.target, peer);
  }
  return std::string(kControlError) + "unknown request\n";
}

std::string Listener::KickAnswer(const ControlRequest& r, uid_t peer) {
  std::vector<std::pair<pid_t, Relay*>> sessions;
  for (auto& [pid, relay] : relays_) {
    if (relay.admitted) sessions.emplace_back(pid, &relay);
  }
  std::sort(sessions.begin(), sessions.end(), [](const auto& a, const auto& b) {
    return a.second->since_us < b.second->since_us;
  });
  auto live = [](pid_t pid, const Relay& relay) {
    return LiveSession{.id = relay.who.session,
                       .pid = pid,
                       .user = relay.who.user,
                       .uid = relay.who.uid,
                       .address = relay.who.address,
                       .port = relay.who.port,
                       .since_us = relay.since_us,
                       .bytes_read = relay.bytes_read,
                       .bytes_written = relay.bytes_written,
                       .current = relay.current};
  };
  std::string answer;
  if (r.verb == ControlRequest::Verb::kSessions) {
    for (const auto& [pid, relay] : sessions) {
      answer += FormatLiveSession(live(pid, *relay), "session") + "\n";
    }
    return answer;
  }
  for (const auto& [pid, relay] : sessions) {
    if (!NamesSession(r.target, relay->who.session) &&
        relay->who.user != r.target) {
      continue;
    }
    if (!relay->kicked && kill(pid, SIGTERM) == 0) {
      relay->kicked = true;
      Record(relay->who,
             {.op = "kick",
              .detail = "sftpd kick by uid " + std::to_string(peer)});
      Say(LOG_NOTICE, "session " + relay->who.session + " of " +
                          relay->who.user + " kicked");
    }
    answer += FormatLiveSession(live(pid, *relay), "kicked") + "\n";
  }
  if (answer.empty()) {
    return std::string(kControlError) + "no session of a user or with an id '" +
           r.target + "'\n";
  }
  return answer;
}

int Listener::Run() {
  for (;;) {
    std::vector<pollfd> fds = {{signal_fd_.get(), POLLIN, 0}};
    for (const Fd& l : listeners_) fds.push_back({l.get(), POLLIN, 0});
    // The control socket (or an fd poll skips) before the relays.
    fds.push_back({control_.valid() ? control_.get() : -1, POLLIN, 0});
    const size_t first_relay = fds.size();
    std::vector<pid_t> relay_pids;
    for (const auto& [pid, relay] : relays_) {
      if (!relay.fd.valid()) continue;
      fds.push_back({relay.fd.get(), POLLIN, 0});
      relay_pids.push_back(pid);
    }
    int ready = poll(fds.data(), fds.size(), kPollMillis);
    if (ready < 0 && errno != EINTR) {
      return Fail(std::string("poll: ") + strerror(errno));
    }
    for (size_t i = first_relay; ready > 0 && i < fds.size(); ++i) {
      pid_t pid = relay_pids[i - first_relay];
      if (fds[i].revents != 0) ReadRelay(pid, relays_.at(pid));
    }
    if (fds[first_relay - 1].revents & POLLIN) AnswerControl();
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
    for (size_t i = 1; ready > 0 && i + 1 < first_relay; ++i) {
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

void Listener::SyncAuditState() {
  if (audit_->refusing() == audit_refusing_) return;
  audit_refusing_ = audit_->refusing();
  for (const auto& [pid, relay] : relays_) {
    if (relay.admitted) SendAuditState(relay);
  }
}

void Listener::SendAuditState(const Relay& relay) {
  if (!relay.fd.valid()) return;
  Bytes bytes = EncodeRelayAuditState(audit_refusing_);
  send(relay.fd.get(), bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
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
  if (!SameListenAddresses(loaded.config->server.listen,
                           config_.server.listen)) {
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
  // What status reports as listen stays what the sockets are.
  std::vector<std::string> listening = std::move(config_.server.listen);
  config_ = std::move(*loaded.config);
  config_.server.listen = std::move(listening);
  filter_ = ListenerFilter(config_);
  children_.set_limits(ConnectionLimits::Of(config_.server));
  defender_.set_settings(config_.defender);
  bind_ = std::move(*bind);
  Say(LOG_NOTICE,
      t + ": reloaded configuration " + config_path_ + " for new connections");
  return {};
}

void Listener::BeginShutdown() {
  stopping_ = true;
  TellSystemd("STOPPING=1");
  listeners_.clear();  // closes them: new clients are refused by the kernel
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

void Listener::Reap() {
  for (int i = 0; i < 1024; ++i) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    children_.Forget(pid);
    auto it = relays_.find(pid);
    if (it == relays_.end()) continue;
    Relay& relay = it->second;
    // What the child sent before it ended is still in the socket.
    if (relay.fd.valid()) ReadRelay(pid, relay);
    const bool timed_out = WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM;
    if (!relay.admitted && timed_out) {
      Record(relay.who, {.op = "login",
                         .result = "refused",
                         .rule = "login_grace_time",
                         .detail = "not authenticated in time"});
    }
    // Scanners and slow clients: gone, or timed out, before a login.
    if (!relay.admitted && (timed_out || !relay.tried_login)) {
      Offend(relay.address, Offence::kNoAuth);
    }
    WriteCounts(relay);
    for (uint32_t channel : relay.open_channels) {
      const std::string how = relay.kicked && WIFSIGNALED(status)
                                  ? "kicked (sftpd kick)"
                                  : HowItEnded(status);
      const AuditIdentity who = ChannelIdentity(relay.who, channel);
      Record(who, {.op = "logout", .result = how});
      Say(LOG_WARNING,
          "session " + who.session + " of " + who.user + " " + how);
    }
    relays_.erase(it);
  }
}

// The detail of a drop, and of the line summing up those counted.
constexpr std::string_view kDroppedBeforeKex = "dropped before key exchange";

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

void Listener::WriteCounts(Relay& relay) {
  for (const AuditLimiter::Summary& s :
       relay.limiter.Take(Clock::now(), /*all=*/true)) {
    Record(relay.who, SummaryEvent(s));
  }
}

void Listener::Offend(const Address& address, Offence offence) {
  std::optional<int> reached = defender_.Add(address, offence, Clock::now());
  if (!reached) return;
  const std::string why =
      "for " + std::to_string(defender_.settings().ban_time) + " s: score " +
      std::to_string(*reached) +
      " reached, last offence: " + std::string(OffenceName(offence));
  Say(LOG_WARNING, "banned " + address.ToString() + " " + why);
  Record({.address = address.ToString()},
         {.op = "ban", .result = "banned", .rule = "defender", .detail = why});
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
  Peer peer = PeerOf(ss);
  if (peer.address) {
    if (auto until = defender_.BannedUntil(*peer.address, Clock::now())) {
      const auto left =
          std::chrono::ceil<std::chrono::seconds>(*until - Clock::now());
      return Drop(
          peer, "defender",
          "address banned for " + std::to_string(left.count()) + " more s");
    }
  }
  // Each drop below counts against its address too, so an address that
  // floods the listener with connections it drops ends up banned.
  if (!peer.address || !filter_.Allows(*peer.address)) {
    Drop(peer, "allow_from", "address not in any allow_from");
    if (peer.address) Offend(*peer.address, Offence::kNotAllowed);
    return;
  }
  const ConnectionLimits& limits = children_.limits();
  switch (children_.Check(*peer.address)) {
    case ConnectionTable::Admission::kAdmit:
      break;
    case ConnectionTable::Admission::kTooMany:
      Drop(peer, "max_connections",
           std::to_string(limits.max_total) + " connections already");
      return Offend(*peer.address, Offence::kOverLimit);
    case ConnectionTable::Admission::kTooManyFromAddress:
      Drop(peer, "max_connections_per_address",
           std::to_string(limits.max_per_address) +
               " connections from that address already");
      return Offend(*peer.address, Offence::kOverLimit);
    case ConnectionTable::Admission::kTooManyStartupsFromAddress:
      // Not an offence: a burst of logins from behind one NAT looks the
      // same; connections held until login_grace_time are scored anyway.
      return Drop(peer, "max_startups_per_address",
                  std::to_string(limits.max_startups_per_address) +
                      " connections from that address not yet authenticated");
    case ConnectionTable::Admission::kTooManyStartups:
      Drop(peer, "max_startups",
           std::to_string(limits.max_startups) +
               " connections not yet authenticated");
      return Offend(*peer.address, Offence::kOverLimit);
    case ConnectionTable::Admission::kStartupDropped:
      return Drop(
          peer, "max_startups",
          "random early drop: " + std::to_string(children_.CountStartups()) +
              " connections not yet authenticated (max_startups " +
              std::to_string(limits.startups_begin) + ":" +
              std::to_string(limits.startups_rate) + ":" +
              std::to_string(limits.max_startups) + ")");
  }
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

void Listener::ReadRelay(pid_t pid, Relay& relay) {
  std::vector<uint8_t>& buf = relay_buffer_;
  buf.resize(kMaxRelayMessage);
  for (int i = 0; i < kRelayBurst && relay.fd.valid(); ++i) {
    iovec iov{buf.data(), buf.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ssize_t n = recvmsg(relay.fd.get(), &msg, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {  // the child closed its end (or it broke): nothing more
      relay.fd.Reset();
      return;
    }
    std::optional<RelayMessage> m =
        (msg.msg_flags & MSG_TRUNC) != 0
            ? std::nullopt
            : DecodeRelayMessage(std::span(buf.data(), size_t(n)));
    if (!m) {
      Say(LOG_ERR, "session " + relay.who.session + " (pid " +
                       std::to_string(pid) +
                       ") sent a malformed audit message; ending it");
      kill(pid, SIGKILL);
      relay.fd.Reset();
      return;
    }
    OnRelayMessage(pid, relay, *m);
  }
}

void Listener::OnRelayMessage(pid_t pid, Relay& relay, const RelayMessage& m) {
  auto reply = [&](bool admitted, std::string_view text) {
    Bytes bytes = EncodeRelayReply(admitted, text);
    send(relay.fd.get(), bytes.data(), bytes.size(),
         MSG_DONTWAIT | MSG_NOSIGNAL);
  };
  if (m.type == RelayType::kEvent) {
    if (relay.admitted) {
      const uint32_t channel = std::max(m.channel, kFirstChannel);
      if (m.event.op == "logout") {
        relay.open_channels.erase(channel);
      } else if (m.event.op == "login" && m.event.result == "ok" &&
                 relay.open_channels.size() <
                     size_t(config_.server.max_channels_per_connection)) {
        relay.open_channels.insert(channel);
      }
      const AuditIdentity who = ChannelIdentity(relay.who, channel);
      // Counted refusals are summed per connection, under its first id.
      LimitEvent(relay.limiter, m.event, Clock::now(),
                 [&](const AuditEvent& e) {
                   Record(e.repeated > 0 ? relay.who : who, e);
                 });
    } else {
      // Before admission the child is still root, so the claimed name it
      // reports for a refused login is taken as given.
      AuditIdentity who = relay.who;
      who.user = std::string(m.user);
      LimitEvent(relay.limiter, m.event, Clock::now(),
                 [&](const AuditEvent& e) { Record(who, e); });
      relay.tried_login = true;
      if (m.event.op == "login" && m.event.result == "refused") {
        if (std::optional<Offence> o = OffenceOfLoginRule(m.event.rule)) {
          Offend(relay.address, *o);
        }
      }
    }
    return;
  }
  if (m.type == RelayType::kProgress && relay.admitted) {
    relay.bytes_read = uint64_t(m.event.bytes_read);
    relay.bytes_written = uint64_t(m.event.bytes_written);
    relay.current = std::string(m.text);
    return;
  }
  if (m.type == RelayType::kAdmit && !relay.admitted) {
    relay.who.user = std::string(m.user);
    relay.who.uid = m.uid;
    if (!children_.Admit(pid, relay.who.user)) {
      const std::string why = "user has " +
                              std::to_string(children_.limits().max_per_user) +
                              " sessions already";
      Record(relay.who, {.op = "login",
                         .result = "refused",
                         .rule = "max_sessions_per_user",
                         .detail = why});
      Offend(relay.address, Offence::kOverLimit);
      reply(false, why);
      return;
    }
    relay.admitted = true;
    relay.open_channels = {kFirstChannel};
    relay.since_us = WallMicros();
    reply(true, relay.who.session);
    if (audit_refusing_) SendAuditState(relay);
    return;
  }
  // A second admission, or a listener's message: not what a child sends.
  Say(LOG_ERR, "session " + relay.who.session + " (pid " + std::to_string(pid) +
                   ") sent an unexpected audit message; ending it");
  kill(pid, SIGKILL);
  relay.fd.Reset();
}

void Listener::ServeChild(Fd conn, Fd relay, const Peer& peer) {
  listeners_.clear();
  control_.Reset();
  signal_fd_.Reset();
  // Other sessions' channels: a child holding them could speak for them.
  relays_.clear();
  audit_.reset();
  // A session is stopped by plain signals, as any process: the listener's
  // blocked set would otherwise be inherited and SIGTERM ignored.
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) signal(sig, SIG_DFL);
  sigprocmask(SIG_UNBLOCK, &signals_, nullptr);
  _exit(ServeConnection(config_, bind_.get(), conn.Release(), relay.Release(),
                        peer));
}

}  // namespace

int RunDaemon(const std::string& config_path) {
  // Connected now: sessions inherit the connection and keep using it after
  // the sandbox closes the way to /dev/log.
  openlog("sftpd", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
  signal(SIGPIPE, SIG_IGN);
  // Run as another user than root, the daemon serves only that user's own
  // account, with a config of its own; the usual way such a start fails is
  // the root's config, so a failure says so.
  const uid_t uid = geteuid();
  const std::string non_root =
      uid == 0 ? ""
               : "; sftpd serve must run as root to serve other users (run "
                 "as uid " +
                     std::to_string(uid) +
                     " it serves only that account, with a config of its own "
                     "whose host_keys, [audit] log, control_socket and "
                     "listen ports that account can use: sftpd(8), "
                     "serve)";
  LoadResult loaded = LoadConfig(config_path);
  if (!loaded.config) {
    for (const ConfigError& e : loaded.errors) Say(LOG_ERR, e.ToString());
    return Fail("configuration " + config_path + " has errors" + non_root);
  }
  for (const std::string& w : EntryWarnings(*loaded.config)) {
    Say(LOG_WARNING, "warning: " + w);
  }
  Listener listener(config_path, std::move(*loaded.config));
  if (std::optional<std::string> e = listener.Start()) {
    return Fail(*e + non_root);
  }
  if (uid != 0) {
    Say(LOG_NOTICE, "running as uid " + std::to_string(uid) +
                        ", not root: serving only this account");
  }
  return listener.Run();
}

}  // namespace sftpd

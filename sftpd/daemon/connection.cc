#include "sftpd/daemon/connection.h"

#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sftpd/audit/relay.h"
#include "sftpd/base/log_line.h"
#include "sftpd/daemon/authenticate.h"
#include "sftpd/daemon/channels.h"
#include "sftpd/daemon/proxy_header.h"
#include "sftpd/frontdoor/session_path.h"
#include "sftpd/vfs/exports.h"

namespace sftpd {

namespace {

// How long an authenticated child waits for the listener's admission.
constexpr int kAdmitTimeoutMillis = 10000;

struct SessionFree {
  void operator()(ssh_session s) const { ssh_free(s); }
};
using SessionPtr = std::unique_ptr<ssh_session_struct, SessionFree>;

// Takes over `fd` as a libssh session with `bind`'s keys and algorithms,
// and runs the key exchange. nullptr: it failed (logged); fd is closed.
SessionPtr Handshake(ssh_bind bind, int fd, const Peer& peer,
                     RelayAudit& audit) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  SessionPtr s(ssh_new());
  if (!s || ssh_bind_accept_fd(bind, s.get(), fd) != SSH_OK) {
    Note(LOG_ERR, "connection from " + peer.text + ": " + ssh_get_error(bind));
    close(fd);
    return nullptr;
  }
  if (ssh_handle_key_exchange(s.get()) != SSH_OK) {
    Note(LOG_NOTICE, "key exchange with " + peer.text +
                         " failed: " + ssh_get_error(s.get()));
    // A version 1 PROXY header the listener did not see come (version 2's
    // starts with a line break, which leaves no banner to tell by).
    const char* banner = ssh_get_clientbanner(s.get());
    const std::string_view line = banner != nullptr ? banner : "";
    if (SendsProxyHeader({reinterpret_cast<const uint8_t*>(line.data()),
                          line.size()})) {
      audit.Record({.op = "login",
                    .result = "refused",
                    .rule = "proxy_from",
                    .detail = std::string("in key exchange: ") +
                              kProxyHeaderNotTrusted});
    }
    return nullptr;
  }
  return s;
}

// The listener's admission of the user (it counts the user's sessions and
// audits its own refusal), then PAM's session, opened while the process is
// still root. Returns the listener's session id; an error: refused
// (logged, and audited).
Result<std::string> Admit(Authenticated& auth, const std::string& who,
                          RelayAudit& audit) {
  Result<std::string> session_id =
      audit.Admit(auth.user.name, auth.user.uid, kAdmitTimeoutMillis);
  if (!session_id) {
    Note(LOG_WARNING, "refused " + who + session_id.error());
    return session_id;
  }
  // Closed by this same process when `auth` goes out of scope, by then
  // running as the user: close-time work that needs root cannot happen
  // (pam_unix only logs there). A privileged parent would be needed for more.
  if (Result<bool> opened = auth.pam->OpenSession(); !opened) {
    Note(LOG_WARNING, "refused " + who + opened.error());
    audit.Record({.op = "login",
                  .result = "refused",
                  .rule = "pam session",
                  .detail = opened.error()});
    return Error{opened.error()};
  }
  return session_id;
}

// Drops to the user when the process is root (else it is the user already).
Result<void> BecomeUser(const UserInfo& user) {
  if (getuid() != 0) return {};
  if (initgroups(user.name.c_str(), user.gid) != 0 || setgid(user.gid) != 0 ||
      setuid(user.uid) != 0) {
    return Error{std::string("cannot become the user: ") + strerror(errno)};
  }
  if (user.uid != 0 && setuid(0) == 0) {
    return Error{"the privilege drop did not hold"};
  }
  return {};
}

// The daemon's side of the session path: its lines on the connection's
// stderr and syslog, the audit trail through the relay, the client told
// why it is refused when the process may speak to it, and every SFTP
// channel of the connection served. Each refusal ends the connection.
class ConnectionDoor final : public FrontDoor {
 public:
  ConnectionDoor(const Config& config, ssh_session s, RelayAudit& audit,
                 const Authenticated& auth, std::string who,
                 std::string session_id, std::string before_login)
      : config_(config),
        s_(s),
        audit_(audit),
        auth_(auth),
        who_(std::move(who)),
        session_id_(std::move(session_id)),
        before_login_(std::move(before_login)) {}

  void LeftOut(std::span<const AbsentExport> absent, bool) override {
    absent_.assign(absent.begin(), absent.end());
    for (const AbsentExport& a : absent) {
      Note(LOG_WARNING, who_ + "export " + a.name + " left out: " + a.why);
    }
  }

  // Every step's refusal is audited under one rule, "session".
  int Refuse(std::string_view, const std::string& why) override {
    audit_.Record(
        {.op = "login", .result = "refused", .rule = "session", .detail = why});
    Note(LOG_WARNING, "refused " + who_ + why);
    // Once the process is the user's, the client may hear why (on its
    // channel's stderr) rather than only see the connection close.
    const UserInfo& user = auth_.user;
    if (!absent_.empty() && getuid() == user.uid && user.uid != 0) {
      if (ssh_channel chan = OpenSftpChannel(s_, who_, audit_)) {
        RefuseChannel(chan, AbsentNotice(absent_));
      }
    }
    ssh_disconnect(s_);
    return 1;
  }

  int Serve(Exports& exports, const std::string& layers) override;

 private:
  const Config& config_;
  ssh_session s_;
  RelayAudit& audit_;
  const Authenticated& auth_;
  std::string who_;  // "user U from P: "
  std::string session_id_;
  std::string before_login_;
  std::vector<AbsentExport> absent_;
};

int ConnectionDoor::Serve(Exports& exports, const std::string& layers) {
  ssh_channel chan = OpenSftpChannel(s_, who_, audit_);
  if (chan == nullptr) {
    // Admitted, so the listener follows the session: its end is told
    // here, not taken for an abnormal one. Each refusal was audited.
    audit_.Record({.op = "logout", .detail = "no sftp session started"});
    ssh_disconnect(s_);
    return 1;
  }
  alarm(0);
  // The client's SSH version, for the log and the trail: what an admin
  // needs to tell a client that fails.
  const char* banner = ssh_get_clientbanner(s_);
  const std::string client_version = banner != nullptr ? banner : "";
  const int status = ServeChannels(
      s_, chan,
      {.config = config_,
       .exports = exports,
       .audit = audit_,
       .user = auth_.user.name,
       .session_id = session_id_,
       .who = who_,
       .method = auth_.method,
       .key = auth_.key,
       .login = layers + "; before login: " + before_login_ + "; client " +
                Printable(client_version, kMaxShownName),
       .symlink_order = SymlinkOrderFor(client_version),
       .notice = AbsentNotice(absent_)});
  ssh_disconnect(s_);
  return status;
}

}  // namespace

int ServeConnection(const Config& config, BindPtr bind, int fd, int relay_fd,
                    const Peer& peer, const std::string& before_login) {
  RelayAudit audit(relay_fd);
  alarm(unsigned(
      config.auth.login_grace_time));  // default action: the child ends
  SessionPtr s = Handshake(bind.get(), fd, peer, audit);
  // The listener's keys of every type are no longer needed here.
  bind.reset();
  if (!s) return 1;
  std::optional<Authenticated> auth =
      Authenticate(config, s.get(), peer, audit);
  if (!auth) {
    ssh_disconnect(s.get());
    return 1;
  }
  const UserInfo& user = auth->user;
  const std::string who = "user " + user.name + " from " + peer.text + ": ";
  Result<std::string> session_id = Admit(*auth, who, audit);
  if (!session_id) {
    ssh_disconnect(s.get());
    return 1;
  }
  ConnectionDoor door(config, s.get(), audit, *auth, who, *session_id,
                      before_login);
  // What PAM's modules opened to syslog is not the user's to keep: the
  // session's lines go to the listener (log_line.h's SendLinesTo).
  closelog();
  if (Result<void> dropped = BecomeUser(user); !dropped) {
    return door.Refuse("session", dropped.error());
  }
  // Each table grants its exports from its own addresses (config.h).
  Rights rights = RightsFor(config, user.name, user.groups, *peer.address);
  return ConfineAndServe(rights.exports, user, door);
}

}  // namespace sftpd

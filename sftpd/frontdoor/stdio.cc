#include "sftpd/frontdoor/stdio.h"

#include <signal.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "config/config.h"
#include "sftpd/audit/audit.h"
#include "sftpd/audit/limit.h"
#include "sftpd/base/io.h"
#include "sftpd/base/log_line.h"
#include "sftpd/engine/session.h"
#include "sftpd/frontdoor/identity.h"
#include "sftpd/frontdoor/pump.h"
#include "sftpd/frontdoor/session_path.h"
#include "sftpd/frontdoor/stop_signal.h"
#include "sftpd/vfs/exports.h"

namespace sftpd {

namespace {

int Refuse(const std::string& why) {
  Say(LOG_WARNING, "refused: " + why);
  return 1;
}

// Writes what the session's limiter lets through, and logs the requests
// the engine could not parse or does not serve among it: bounded as the
// audit lines are. Syslog only: under OpenSSH stderr is the client's.
class LoggedAudit final : public AuditSink {
 public:
  explicit LoggedAudit(JsonAudit& inner) : inner_(inner) {}
  void Record(const AuditEvent& event) override {
    inner_.Record(event);
    if (std::optional<std::string> line =
            RefusalLogLine(inner_.identity().session, event)) {
      Say(LOG_NOTICE, *line, LineTo::kSyslogOnly);
    }
  }
  bool Refusing() override { return inner_.Refusing(); }

 private:
  JsonAudit& inner_;
};

// --stdio's side of the session path: refusals on stderr (the client's)
// and syslog, the audit trail written by this process, one session pumped
// over fds 0 and 1.
class StdioDoor final : public FrontDoor {
 public:
  // `user_from` is "user U from P", for its lines.
  StdioDoor(JsonAudit& audit, std::string user_from, int idle_timeout)
      : audit_(audit),
        user_from_(std::move(user_from)),
        who_(user_from_ + ": "),
        idle_timeout_(idle_timeout) {}

  void LeftOut(std::span<const AbsentExport> absent, bool opened) override {
    // The client sees the session's stderr: it is told what it will miss.
    const std::string notice = AbsentNotice(absent);
    fputs(notice.c_str(), stderr);
    if (!opened) return;
    for (const AbsentExport& a : absent) {
      Say(LOG_WARNING, who_ + "export " + a.name + " left out: " + a.why,
          LineTo::kSyslogOnly);
    }
  }

  // Audited with the trail's "login refused" line, so refused logins are
  // on it too.
  int Refuse(std::string_view rule, const std::string& why) override {
    audit_.Record(
        {.op = "login", .result = "refused", .rule = rule, .detail = why});
    return sftpd::Refuse(who_ + why);
  }

  int Serve(Exports& exports, const std::string& layers) override {
    const std::string& id = audit_.identity().session;
    RecordLogin(audit_, id, user_from_ + ", ", exports.size(),
                {.op = "login", .detail = layers});
    // The session's repeated refusals are counted rather than each written
    // (audit/limit.h); the logout writes what is still counted.
    LoggedAudit logged(audit_);
    LimitedAudit limited(logged);
    Session session(exports, limited, audit_.identity().user);
    // A stop signal ends the session as the end of its input does: open
    // files closed and audited, then the logout, saying which signal.
    CatchStopSignals();
    const Result<void> end =
        PumpSession(session, STDIN_FILENO, STDOUT_FILENO, idle_timeout_);
    RecordLogout(session, limited, id, end);
    return end ? 0 : 1;
  }

 private:
  JsonAudit& audit_;
  std::string user_from_;
  std::string who_;  // "user U from P: "
  int idle_timeout_;
};

}  // namespace

int ServeStdio(const std::string& config_path) {
  // Nothing sshd (or whatever started it) left open beyond stdio.
  CloseFdsExcept();
  // Connected now: the sandbox may close the way to /dev/log later.
  openlog("sftpd", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
  signal(SIGPIPE, SIG_IGN);

  LoadResult loaded = LoadConfig(config_path);
  if (!loaded.config) {
    for (const ConfigError& e : loaded.errors) Say(LOG_ERR, e.ToString());
    return Refuse("configuration " + config_path + " has errors");
  }
  const Config& config = *loaded.config;

  Result<UserInfo> user = LookUpUser(getuid());
  if (!user)
    return Refuse("uid " + std::to_string(getuid()) + ": " + user.error());
  Result<Peer> peer =
      PeerFromSsh(getenv("SSH_CONNECTION"), getenv("SSH_CLIENT"));
  if (!peer) return Refuse("user " + user->name + ": " + peer.error());

  // The audit trail starts here, so refused logins are on it too. Its file
  // is opened before the sandbox closes the filesystem.
  AuditLog log(config.audit, /*stderr_fallback=*/false,
               AuditFileRule::kAppendToRoots);
  JsonAudit audit(
      AuditIdentity{NewSessionId(), user->name, user->uid,
                    peer->address ? peer->address->ToString() : "", peer->port},
      log);
  StdioDoor door(audit, "user " + user->name + " from " + peer->text,
                 config.server.idle_timeout);

  // A local session (no SSH connection) comes from this host: loopback.
  Address from = peer->address ? *peer->address : *Address::Parse("127.0.0.1");
  // Each table grants its exports from its own addresses (config.h).
  Rights rights = RightsFor(config, user->name, user->groups, from);
  if (!rights.found) {
    return door.Refuse("no entry",
                       "no [users] or [groups] entry in " + config_path);
  }
  if (!rights.Allows(from)) {
    return door.Refuse("allow_from", "address not in allow_from");
  }
  return ConfineAndServe(rights.exports, *user, door);
}

}  // namespace sftpd

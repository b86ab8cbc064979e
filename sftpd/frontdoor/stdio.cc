#include "sftpd/frontdoor/stdio.h"

#include <poll.h>
#include <signal.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "sftpd/audit/audit.h"
#include "sftpd/audit/limit.h"
#include "sftpd/base/limits.h"
#include "sftpd/base/log_line.h"
#include "sftpd/frontdoor/identity.h"
#include "sftpd/frontdoor/stop_signal.h"
#include "sftpd/sandbox/layers.h"
#include "sftpd/sandbox/sandbox.h"
#include "sftpd/vfs/exports.h"

namespace sftpd {

namespace {

int Refuse(const std::string& why) {
  Say(LOG_WARNING, "refused: " + why);
  return 1;
}

bool WriteAll(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= size_t(w);
  }
  return true;
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

}  // namespace

// Not zeroed: the pages are touched only as reads fill them, so a short
// session does not pay for 512 KiB it never uses.
SessionPump::SessionPump(Session& session)
    : session_(session),
      in_(std::make_unique_for_overwrite<uint8_t[]>(kInSize)) {}

Result<size_t> SessionPump::Step() {
  Result<size_t> used = session_.Process({in_.get(), have_});
  if (!used.ok() || *used == 0) return used;
  memmove(in_.get(), in_.get() + *used, have_ - *used);
  have_ -= *used;
  return used;
}

std::optional<std::string> SessionPump::Ended() const {
  if (have_ == 0) return std::nullopt;
  return "end of input in the middle of a packet";
}

std::optional<std::string> PumpSession(Session& session, const PumpIo& io) {
  SessionPump pump(session);
  for (;;) {
    Result<size_t> n = io.read_some(pump.Room());
    if (!n) return n.error();
    if (*n == 0) return pump.Ended();
    pump.Stored(*n);
    for (;;) {
      Result<size_t> used = pump.Step();
      if (!used.ok()) return used.error();
      Bytes& out = session.output();
      if (!out.empty()) {
        if (std::optional<std::string> e = io.write_all(out)) return e;
        out.clear();
      }
      if (*used == 0) break;
    }
  }
}

Error IdleTimeout(int seconds) {
  return Error{"no request for " + std::to_string(seconds) +
               " s ([server] idle_timeout)"};
}

int IdleDeadline::WaitMillis() const {
  if (seconds_ <= 0) return -1;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        end_ - std::chrono::steady_clock::now())
                        .count();
  return int(std::clamp<long long>(left, 0, 60000));
}

std::optional<std::string> PumpSession(Session& session, int in_fd, int out_fd,
                                       int idle_timeout) {
  PumpIo io{
      .read_some = [in_fd,
                    idle_timeout](std::span<uint8_t> buf) -> Result<size_t> {
        // Polled in slices of at most kStopCheckMillis, so a stop signal
        // (stop_signal.h) ends the session however it lands.
        const IdleDeadline idle(idle_timeout);
        for (;;) {
          if (const int sig = StopSignal(); sig != 0) {
            return Error{StoppedBy(sig)};
          }
          const int wait = idle.WaitMillis();
          if (wait == 0) return IdleTimeout(idle_timeout);
          pollfd p{.fd = in_fd, .events = POLLIN, .revents = 0};
          const int r = poll(
              &p, 1,
              wait < 0 ? kStopCheckMillis : std::min(wait, kStopCheckMillis));
          if (r > 0) break;  // input, end of input or an error: read says
          if (r < 0 && errno != EINTR) {
            return Error{std::string("poll: ") + strerror(errno)};
          }
        }
        for (;;) {
          ssize_t n = read(in_fd, buf.data(), buf.size());
          if (n >= 0) return size_t(n);
          if (errno != EINTR) {
            return Error{std::string("read: ") + strerror(errno)};
          }
          if (const int sig = StopSignal(); sig != 0) {
            return Error{StoppedBy(sig)};
          }
        }
      },
      .write_all = [out_fd](std::span<const uint8_t> bytes)
          -> std::optional<std::string> {
        if (WriteAll(out_fd, bytes.data(), bytes.size())) return std::nullopt;
        return std::string("write: ") + strerror(errno);
      },
  };
  return PumpSession(session, io);
}

std::vector<sandbox::Tree> SandboxTrees(const Exports& exports) {
  std::vector<sandbox::Tree> trees;
  for (int i = 0; i < int(exports.size()); ++i) {
    trees.push_back({exports.root_path(i),
                     exports.spec(i).access == Access::kReadWrite,
                     exports.root_fd(i)});
  }
  return trees;
}

int ServeStdio(const std::string& config_path) {
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
  AuditLog log(config.audit, /*stderr_fallback=*/false);
  JsonAudit audit(
      AuditIdentity{NewSessionId(), user->name, user->uid,
                    peer->address ? peer->address->ToString() : "", peer->port},
      log);
  const std::string who = "user " + user->name + " from " + peer->text + ": ";
  auto refuse = [&](std::string_view rule, const std::string& why) {
    audit.Record(
        {.op = "login", .result = "refused", .rule = rule, .detail = why});
    return Refuse(who + why);
  };

  // A local session (no SSH connection) comes from this host: loopback.
  Address from = peer->address ? *peer->address : *Address::Parse("127.0.0.1");
  // Each table grants its exports from its own addresses (config.h).
  Rights rights = RightsFor(config, user->name, user->groups, from);
  if (!rights.found) {
    return refuse("no entry", "no [users] or [groups] entry in " + config_path);
  }
  if (!rights.Allows(from)) {
    return refuse("allow_from", "address not in allow_from");
  }

  Result<Layers> switches = LayersFromEnvironment();
  if (!switches) return refuse("sandbox", switches.error());
  std::vector<AbsentExport> absent;
  Result<std::unique_ptr<Exports>> exports =
      OpenGranted(rights.exports, user->name, user->home, user->uid,
                  switches->namespace_checks, &absent);
  // The client sees the session's stderr: it is told what it will miss.
  const std::string notice = AbsentNotice(absent);
  fputs(notice.c_str(), stderr);
  if (!exports) return refuse("export", exports.error());
  for (const AbsentExport& a : absent) {
    Say(LOG_WARNING, who + "export " + a.name + " left out: " + a.why,
        LineTo::kSyslogOnly);
  }
  std::vector<sandbox::Tree> trees = SandboxTrees(**exports);

  tzset();   // long names use local time; /etc/localtime is read now
  umask(0);  // each export's own umask is applied by Exports
  Result<std::string> layers = sandbox::Enter(trees, user->name, *switches);
  if (!layers) return refuse("sandbox", "cannot confine: " + layers.error());
  if (!switches->Describe().empty()) *layers += "; " + switches->Describe();
  Say(LOG_INFO,
      "session " + audit.identity().session + ": user " + user->name +
          " from " + peer->text + ", " + std::to_string(trees.size()) +
          " exports; " + *layers,
      LineTo::kSyslogOnly);
  audit.Record({.op = "login", .detail = *layers});

  // The session's repeated refusals are counted rather than each written
  // (audit/limit.h); the logout below writes what is still counted.
  LoggedAudit logged(audit);
  LimitedAudit limited(logged);
  Session session(**exports, limited, user->name);
  // A stop signal ends the session as the end of its input does: open
  // files closed and audited, then the logout, saying which signal.
  CatchStopSignals();
  std::optional<std::string> broken = PumpSession(
      session, STDIN_FILENO, STDOUT_FILENO, config.server.idle_timeout);
  session.Close();
  if (broken) {
    Say(LOG_WARNING,
        "session " + audit.identity().session + ": ended: " + *broken,
        LineTo::kSyslogOnly);
  }
  limited.Record({.op = "logout", .result = broken ? *broken : "ok"});
  return broken ? 1 : 0;
}

}  // namespace sftpd

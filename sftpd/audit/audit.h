// Audit: who touched which file. One event type; a sink writes each event as
// one JSON object (a line in a file, or one syslog message). The Session only
// sees AuditSink, so tests record events in memory. Not thread-safe: one sink
// per session process.
#ifndef SFTPD_SFTPD_AUDIT_AUDIT_H_
#define SFTPD_SFTPD_AUDIT_AUDIT_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/result.h"

namespace sftpd {

// Who the session is; fixed for its lifetime, repeated in every event.
struct AuditIdentity {
  std::string session{};  // random hex id, unique per session
  std::string user{};
  int64_t uid = -1;       // -1: not known yet (a login refused before it)
  std::string address{};  // client address ("" when local)
  int port = 0;
};

// One event. Strings are untrusted (client paths) and escaped by the writer.
// Every member has a default so designated initializers may name only some.
struct AuditEvent {
  std::string_view op{};      // "login", "open", "close", "rename", "refused"..
  std::string_view path{};    // virtual path as the client sees it
  std::string_view target{};  // rename/link/symlink/copy target, else empty
  std::string_view result = "ok";  // "ok" or the error message
  std::string_view rule{};         // for refusals: which rule refused
  std::string_view detail{};  // e.g. open flags "rwct", setstat "mode=0644"
  // On a daemon login: how the user authenticated ("publickey", "password",
  // "keyboard-interactive"), and for a key its type and fingerprint as
  // ssh-keygen -l prints them ("ED25519 SHA256:..."). Empty otherwise.
  std::string_view method{};
  std::string_view key{};
  int64_t bytes_read = -1;  // on close; -1: not applicable
  int64_t bytes_written = -1;
  // A summary line (audit/limit.h): this many more events like it (same op,
  // result, rule and detail) happened and were counted, not written one by
  // one. 0 for every other event.
  uint64_t repeated = 0;
};

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual void Record(const AuditEvent& event) = 0;
  // True while the trail cannot be written and [audit] on_failure is
  // "refuse": the session then refuses every file operation.
  virtual bool Refusing() { return false; }
};

// The rule a refusal names while the audit trail cannot be written.
inline constexpr std::string_view kRuleAuditUnavailable = "audit_unavailable";
// The rules of requests the engine cannot parse (BAD_MESSAGE) or does not
// serve (OP_UNSUPPORTED); their detail says why. The front doors also log
// them (RefusalLogLine, audit/limit.h).
inline constexpr std::string_view kRuleMalformed = "malformed request";
inline constexpr std::string_view kRuleUnsupported = "unsupported request";

// Formats `event` for `who` at `time_us` (µs since the epoch) as one JSON
// object without a trailing newline: {"time":"2026-11-23T14:36:04.123456Z",
// "session":..,"user":..,"uid":..,"addr":..,"port":..,"op":..,"path":..,
// "target":..,"result":..,"rule":..,"detail":..,"method":..,"key":..,
// "bytes_read":..,"bytes_written":..,"repeated":..,"cut":..}; empty
// strings, port 0, uid -1, -1 counts and repeated 0 are left out.
// Strings are JSON-escaped (control bytes and DEL as \u00XX; each byte of an
// invalid UTF-8 sequence, and both bytes of a C1 control, as \u00XX of the
// byte, so the line is always valid JSON and \u0080..\u00ff always stand
// for one raw byte: ParseAuditLine gets the same bytes back) and cut to
// kMaxAuditField (limits.h) bytes of escaped text at a character boundary.
// A line with a cut string says so: "cut" names those members, in the order
// above, comma-separated ("path,detail"); it is absent when none was cut.
std::string FormatAuditEvent(const AuditIdentity& who, const AuditEvent& event,
                             int64_t time_us);

// `text` as a quoted JSON string, escaped and cut as FormatAuditEvent's
// strings are (for other JSON lines read beside the trail's: sftpd audit
// --summary --json, the daemon's status lines).
std::string JsonQuoted(std::string_view text);

// Where audit lines go: an append-only file of JSON lines and/or syslog
// (LOG_AUTHPRIV|LOG_INFO, "audit " and the line; one message per event, under
// the process's own syslog ident). Without a file (none configured, or it
// cannot be opened: noted in syslog) lines go to syslog. A failing write
// (a full disk) is reported on stderr and syslog once, and its line, and
// every later one whose write fails, goes to syslog (and to stderr, where
// asked): events are never dropped silently. Every line is tried on the file
// again; the first that is written ends the failure (reported too). Open it
// before any sandbox, with syslog opened (openlog LOG_NDELAY) by the caller.
// Who may make the audit file. The listener (root, or the account of a
// non-root daemon) creates it; an --stdio session runs as the user, so it
// only appends to a file that exists and is root's: a user can neither
// create the trail nor have it written to a file of their own, which they
// could rewrite.
enum class AuditFileRule { kCreate, kAppendToRoots };

class AuditLog {
 public:
  // Opens settings.log for appending, never through a symlink: created
  // 0600 if absent under kCreate; under kAppendToRoots only a regular file
  // owned by root is taken. "" for no file. `stderr_fallback`: lines the
  // file did not take are also written to stderr (the daemon's journal; not
  // under OpenSSH, where stderr is the client's).
  AuditLog(const AuditSection& settings, bool stderr_fallback,
           AuditFileRule rule = AuditFileRule::kCreate);
  // Writes to `fd` (open, appendable; owned from now on), for tests.
  AuditLog(int fd, const AuditSection& settings, bool stderr_fallback = false);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends `line` (one JSON object, no newline) with one write(2).
  void Write(std::string line);
  // Opens the path again and switches to the new file (after logrotate moved
  // the old one away). On failure the old file is kept and the error
  // returned.
  Result<void> Reopen();
  const AuditSection& settings() const { return settings_; }
  // The last write to the file failed.
  bool failing() const { return failing_; }
  // failing(), and the settings say to refuse file operations meanwhile.
  bool refusing() const {
    return failing_ && settings_.on_failure == AuditFailure::kRefuse;
  }

 private:
  AuditSection settings_;
  bool stderr_fallback_;
  AuditFileRule rule_ = AuditFileRule::kCreate;
  int fd_ = -1;
  bool failing_ = false;
};

// A session's sink: stamps each event with the session's identity and the
// time and writes it to an AuditLog the caller keeps open.
class JsonAudit final : public AuditSink {
 public:
  JsonAudit(AuditIdentity who, AuditLog& log)
      : who_(std::move(who)), log_(log) {}

  void Record(const AuditEvent& event) override;
  bool Refusing() override { return log_.refusing(); }
  const AuditIdentity& identity() const { return who_; }

 private:
  AuditIdentity who_;
  AuditLog& log_;
};

// A fresh random session id (16 hex digits from getrandom).
std::string NewSessionId();

}  // namespace sftpd

#endif  // SFTPD_SFTPD_AUDIT_AUDIT_H_

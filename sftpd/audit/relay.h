// The daemon's audit path. A session process never writes the audit trail:
// it sends each event over a SOCK_SEQPACKET socketpair to the listener, which
// keeps its rights, stamps the event with the identity it recorded for that
// connection and writes it, so a user's process can neither forge another
// identity nor erase what was written. The same channel carries the one
// admission request of an authenticated connection (the per-user session
// cap), and, from the listener to admitted sessions, whether its audit file
// can be written ([audit] on_failure = "refuse"). Message encoding is here;
// RelayAudit is the child's end. Not thread-safe.
#ifndef SFTPD_SFTPD_AUDIT_RELAY_H_
#define SFTPD_SFTPD_AUDIT_RELAY_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config/result.h"
#include "sftpd/audit/audit.h"
#include "sftpd/base/wire.h"

namespace sftpd {

// Largest message on the channel: an event's nine strings are each cut to
// kMaxRelayField bytes when encoded.
constexpr size_t kMaxRelayMessage = 64 * 1024;
constexpr size_t kMaxRelayField = 8 * 1024;

enum class RelayType : uint8_t {
  kEvent = 1,       // child -> listener: an audit event
  kAdmit = 2,       // child -> listener: "user authenticated, may it start?"
  kAdmitted = 3,    // listener -> child: yes; carries the session id
  kRefused = 4,     // listener -> child: no; carries the reason
  kAuditState = 5,  // listener -> admitted child: refuse file operations?
  kProgress = 6,    // admitted child -> listener: bytes moved, current file
  kLog = 7,         // child -> listener: a line for the admin's log
};

// One decoded message. Views point into the bytes it was decoded from.
// kEvent: `user` is the name the client claimed, meaningful only before the
// connection is admitted (a refused login); `channel` the SFTP channel of the
// connection the event is of (kFirstChannel, then 2, 3... in the order their
// sessions started; the listener stamps "ID", "ID.2", "ID.3"...); `event`
// the rest. kAdmit: `user`
// and `uid`. kAdmitted: `text` is the session id; kRefused: the reason.
// kAuditState: `refusing`. kProgress: event.bytes_read and
// event.bytes_written, and `text` the current file. kLog: `priority`
// (LOG_ERR..LOG_DEBUG), `text` the line (escaped by the sender, escaped
// again by the listener), and `to_stderr`.
struct RelayMessage {
  RelayType type{};
  std::string_view user;
  uint32_t uid = 0;
  uint32_t channel = 0;
  std::string_view text;
  bool refusing = false;
  int priority = 0;
  bool to_stderr = false;
  AuditEvent event;
};

// The connection's first SFTP channel, and every event before one starts.
inline constexpr uint32_t kFirstChannel = 1;

Bytes EncodeRelayEvent(std::string_view user, const AuditEvent& event,
                       uint32_t channel = kFirstChannel);
Bytes EncodeRelayAdmit(std::string_view user, uid_t uid);
Bytes EncodeRelayReply(bool admitted, std::string_view text);
Bytes EncodeRelayAuditState(bool refusing);
Bytes EncodeRelayProgress(uint64_t bytes_read, uint64_t bytes_written,
                          std::string_view current);
Bytes EncodeRelayLog(int priority, std::string_view line, bool to_stderr);

// Decodes one message; nullopt when it is malformed (unknown type, short or
// trailing bytes, over kMaxRelayMessage).
std::optional<RelayMessage> DecodeRelayMessage(std::span<const uint8_t> bytes);

// The session process's end of the channel (fd borrowed, blocking). Record
// sends the event; a channel that fails (the listener is gone) cannot be
// audited through, so the process reports it and exits with status 1 rather
// than go on unaudited.
class RelayAudit final : public AuditSink {
 public:
  // How often, at most, Refusing() looks for the listener's news.
  static constexpr int64_t kStateCheckMillis = 20;
  // How often, at most, Progress() tells the listener.
  static constexpr int64_t kProgressMillis = 1000;

  explicit RelayAudit(int fd) : fd_(fd) {}

  // The user name the client claims, sent with events before admission.
  void set_claimed_user(std::string user) { claimed_user_ = std::move(user); }
  // An event of the connection's first channel (and of the login before).
  void Record(const AuditEvent& event) override;
  // An event of SFTP channel `channel` (kEvent).
  void Record(const AuditEvent& event, uint32_t channel);
  // The listener's last kAuditState, read without blocking (at most every
  // kStateCheckMillis). Only after Admit: before it, the one message the
  // listener sends is Admit's answer.
  bool Refusing() override;
  // Tells the listener what the session has moved (for `sftpd sessions`),
  // if it changed since it was last told: at once with `now`, otherwise at
  // most every kProgressMillis.
  void Progress(uint64_t bytes_read, uint64_t bytes_written,
                std::string_view current, bool now);
  // Hands a line for the admin's log to the listener (log_line.h's
  // SendLinesTo). A failed send is not reported: the next event's fails too.
  void Log(int priority, std::string_view line, bool to_stderr);

  // Asks the listener whether `user` (authenticated, about to be served)
  // may start a session. Returns the session id, or the listener's reason
  // for refusing (it has audited that), or why no answer came within
  // `timeout_ms`.
  Result<std::string> Admit(const std::string& user, uid_t uid, int timeout_ms);

 private:
  void Send(const Bytes& message);

  int fd_;
  std::string claimed_user_;
  bool refusing_ = false;
  int64_t checked_ms_ = -kStateCheckMillis;  // monotonic; the first call looks
  int64_t progress_ms_ = -kProgressMillis;
  uint64_t sent_read_ = 0, sent_written_ = 0;
  std::string sent_current_;
};

// One SFTP channel's sink: its events go through `relay` (borrowed) marked
// with the channel's number.
class ChannelAudit final : public AuditSink {
 public:
  ChannelAudit(RelayAudit& relay, uint32_t channel)
      : relay_(relay), channel_(channel) {}
  void Record(const AuditEvent& event) override {
    relay_.Record(event, channel_);
  }
  bool Refusing() override { return relay_.Refusing(); }

 private:
  RelayAudit& relay_;
  uint32_t channel_;
};

}  // namespace sftpd

#endif  // SFTPD_SFTPD_AUDIT_RELAY_H_

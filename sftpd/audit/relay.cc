#include "sftpd/audit/relay.h"

#include <poll.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "sftpd/base/limits.h"
#include "sftpd/base/log_line.h"

namespace sftpd {

Bytes EncodeRelayEvent(std::string_view user, const AuditEvent& event,
                       uint32_t channel) {
  Bytes out;
  Writer w(out);
  w.U8(uint8_t(RelayType::kEvent));
  // Cut so a message always fits kMaxRelayMessage; the audit line cuts each
  // string shorter still.
  // A string the relay cuts is longer than the line keeps, so the line says
  // it was cut.
  static_assert(kMaxRelayField > kMaxAuditField);
  auto cut = [](std::string_view s) { return s.substr(0, kMaxRelayField); };
  w.String(cut(user));
  w.U32(channel);
  for (std::string_view s :
       {event.op, event.path, event.target, event.result, event.rule,
        event.detail, event.method, event.key}) {
    w.String(cut(s));
  }
  w.U64(uint64_t(event.bytes_read));
  w.U64(uint64_t(event.bytes_written));
  return out;
}

Bytes EncodeRelayAdmit(std::string_view user, uid_t uid) {
  Bytes out;
  Writer w(out);
  w.U8(uint8_t(RelayType::kAdmit));
  w.String(user);
  w.U32(uid);
  return out;
}

Bytes EncodeRelayReply(bool admitted, std::string_view text) {
  Bytes out;
  Writer w(out);
  w.U8(uint8_t(admitted ? RelayType::kAdmitted : RelayType::kRefused));
  w.String(text);
  return out;
}

Bytes EncodeRelayAuditState(bool refusing) {
  Bytes out;
  Writer w(out);
  w.U8(uint8_t(RelayType::kAuditState));
  w.U8(refusing ? 1 : 0);
  return out;
}

Bytes EncodeRelayProgress(uint64_t bytes_read, uint64_t bytes_written,
                          std::string_view current) {
  Bytes out;
  Writer w(out);
  w.U8(uint8_t(RelayType::kProgress));
  w.U64(bytes_read);
  w.U64(bytes_written);
  w.String(current.substr(0, kMaxRelayField));
  return out;
}

Bytes EncodeRelayLog(int priority, std::string_view line, bool to_stderr) {
  Bytes out;
  Writer w(out);
  w.U8(uint8_t(RelayType::kLog));
  w.U8(uint8_t(LOG_PRI(priority)));
  w.U8(to_stderr ? 1 : 0);
  w.String(line.substr(0, kMaxLogLine));
  return out;
}

std::optional<RelayMessage> DecodeRelayMessage(std::span<const uint8_t> bytes) {
  if (bytes.size() > kMaxRelayMessage) return std::nullopt;
  Reader r(bytes);
  RelayMessage m;
  m.type = RelayType(r.U8());
  switch (m.type) {
    case RelayType::kEvent: {
      m.user = r.String();
      m.channel = r.U32();
      AuditEvent& e = m.event;
      for (std::string_view* s : {&e.op, &e.path, &e.target, &e.result, &e.rule,
                                  &e.detail, &e.method, &e.key}) {
        *s = r.String();
      }
      e.bytes_read = int64_t(r.U64());
      e.bytes_written = int64_t(r.U64());
      break;
    }
    case RelayType::kAdmit:
      m.user = r.String();
      m.uid = r.U32();
      break;
    case RelayType::kAdmitted:
    case RelayType::kRefused:
      m.text = r.String();
      break;
    case RelayType::kProgress:
      m.event.bytes_read = int64_t(r.U64());
      m.event.bytes_written = int64_t(r.U64());
      m.text = r.String();
      break;
    case RelayType::kLog: {
      m.priority = r.U8();
      const uint8_t to_stderr = r.U8();
      m.text = r.String();
      // A session's lines are at most errors: one that claims an alert
      // (which the journal would print on every console) is not trusted.
      if (m.priority < LOG_ERR || m.priority > LOG_DEBUG || to_stderr > 1 ||
          m.text.size() > kMaxLogLine) {
        return std::nullopt;
      }
      m.to_stderr = to_stderr == 1;
      break;
    }
    case RelayType::kAuditState: {
      uint8_t v = r.U8();
      if (v > 1) return std::nullopt;
      m.refusing = v == 1;
      break;
    }
    default:
      return std::nullopt;
  }
  if (!r.Done()) return std::nullopt;
  return m;
}

void RelayAudit::Send(const Bytes& message) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    if (send(fd_, message.data(), message.size(), MSG_NOSIGNAL) ==
        ssize_t(message.size())) {
      return;
    }
    if (errno != EINTR) break;
  }
  const int err = errno;
  Say(LOG_ERR,
      std::string("the audit channel to the listener failed (") +
          strerror(err) + "); ending the session",
      LineTo::kStderrWithPid);
  // Only a session process (forked) holds a RelayAudit: it ends at once
  // rather than go on unaudited.
  _exit(1);
}

void RelayAudit::Log(int priority, std::string_view line, bool to_stderr) {
  const Bytes message = EncodeRelayLog(priority, line, to_stderr);
  for (int attempt = 0; attempt < 8; ++attempt) {
    if (send(fd_, message.data(), message.size(), MSG_NOSIGNAL) >= 0 ||
        errno != EINTR) {
      return;
    }
  }
}

void RelayAudit::Record(const AuditEvent& event) {
  Record(event, kFirstChannel);
}

void RelayAudit::Record(const AuditEvent& event, uint32_t channel) {
  Send(EncodeRelayEvent(claimed_user_, event, channel));
}

namespace {

int64_t MonotonicMillis() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return int64_t(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

}  // namespace

void RelayAudit::Progress(uint64_t bytes_read, uint64_t bytes_written,
                          std::string_view current, bool now) {
  const int64_t ms = MonotonicMillis();
  if (!now && ms - progress_ms_ < kProgressMillis) return;
  if (bytes_read == sent_read_ && bytes_written == sent_written_ &&
      current == sent_current_) {
    return;
  }
  progress_ms_ = ms;
  sent_read_ = bytes_read;
  sent_written_ = bytes_written;
  sent_current_ = current;
  Send(EncodeRelayProgress(bytes_read, bytes_written, current));
}

bool RelayAudit::Refusing() {
  const int64_t ms = MonotonicMillis();
  if (ms - checked_ms_ < kStateCheckMillis) return refusing_;
  checked_ms_ = ms;
  uint8_t buf[64];
  for (int i = 0; i < 64; ++i) {  // bounded: news only come on a change
    ssize_t n = recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    // Nothing new, or the listener is gone: the next Record says so.
    if (n <= 0) break;
    std::optional<RelayMessage> m =
        DecodeRelayMessage(std::span<const uint8_t>(buf, size_t(n)));
    if (m && m->type == RelayType::kAuditState) refusing_ = m->refusing;
  }
  return refusing_;
}

Result<std::string> RelayAudit::Admit(const std::string& user, uid_t uid,
                                      int timeout_ms) {
  Send(EncodeRelayAdmit(user, uid));
  pollfd p{fd_, POLLIN, 0};
  int ready;
  do {
    ready = poll(&p, 1, timeout_ms);
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) return Error{"no answer from the listener"};
  std::vector<uint8_t> buf(kMaxRelayMessage);
  ssize_t n = recv(fd_, buf.data(), buf.size(), 0);
  if (n <= 0) return Error{"the listener closed the audit channel"};
  std::optional<RelayMessage> reply =
      DecodeRelayMessage(std::span(buf.data(), size_t(n)));
  if (!reply || (reply->type != RelayType::kAdmitted &&
                 reply->type != RelayType::kRefused)) {
    return Error{"a malformed answer from the listener"};
  }
  if (reply->type == RelayType::kRefused)
    return Error{std::string(reply->text)};
  return std::string(reply->text);
}

}  // namespace sftpd

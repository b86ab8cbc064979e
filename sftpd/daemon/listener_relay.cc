// The listener's end of each child's audit relay (audit/relay.h): the
// events a child sends written under the identity the listener gave it,
// its admission against the per-user cap, its progress for `sftpd
// sessions`, the audit file's state told to it, and, when the child ends,
// the logout of each channel it left open.
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <syslog.h>

#include <algorithm>
#include <cerrno>
#include <span>

#include "sftpd/daemon/listener.h"

namespace sftpd {

namespace {

// Relay messages read from one child per poll turn, so one chatty child
// cannot starve the others.
constexpr int kRelayBurst = 256;

// How a reaped child ended, for its audit line.
std::string HowItEnded(int status) {
  if (WIFSIGNALED(status)) {
    return "ended abnormally: killed by signal " +
           std::to_string(WTERMSIG(status));
  }
  return "ended abnormally: exit status " +
         std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

}  // namespace

// Who the events of SFTP channel `channel` of a connection are: its first
// channel (and all before it) is the connection's session id "ID", each
// later one "ID.2", "ID.3"... in the order their sessions started.
AuditIdentity ChannelIdentity(const AuditIdentity& who, uint32_t channel) {
  AuditIdentity id = who;
  if (channel > kFirstChannel) id.session += "." + std::to_string(channel);
  return id;
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
    WriteCounts(pid, relay);
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

void Listener::WriteCounts(pid_t pid, Relay& relay) {
  for (const AuditLimiter::Summary& s :
       relay.limiter.Take(Clock::now(), /*all=*/true)) {
    Record(relay.who, SummaryEvent(s));
  }
  WriteLineCounts(pid, relay, Clock::now(), /*all=*/true);
}

void Listener::WriteLineCounts(pid_t pid, Relay& relay,
                               Clock::time_point now, bool all) {
  for (const AuditLimiter::Summary& s : relay.lines.Take(now, all)) {
    SayFor(pid, LOG_NOTICE,
           "session " + relay.who.session + ": " + std::to_string(s.count) +
               " more lines like: " + s.kind.detail,
           true);
  }
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
  if (m.type == RelayType::kEvent) {
    OnRelayEvent(relay, m);
    return;
  }
  if (m.type == RelayType::kProgress && relay.admitted) {
    relay.bytes_read = uint64_t(m.event.bytes_read);
    relay.bytes_written = uint64_t(m.event.bytes_written);
    relay.current = std::string(m.text);
    return;
  }
  if (m.type == RelayType::kAdmit && !relay.admitted) {
    OnAdmit(pid, relay, m);
    return;
  }
  if (m.type == RelayType::kLog) {
    const auto now = Clock::now();
    WriteLineCounts(pid, relay, now, /*all=*/false);
    if (relay.lines.Admit(AuditKind::Of({.op = "log", .detail = m.text}),
                          now)) {
      SayFor(pid, m.priority, m.text, m.to_stderr);
    }
    return;
  }
  // A second admission, or a listener's message: not what a child sends.
  Say(LOG_ERR, "session " + relay.who.session + " (pid " + std::to_string(pid) +
                   ") sent an unexpected audit message; ending it");
  kill(pid, SIGKILL);
  relay.fd.Reset();
}

void Listener::OnRelayEvent(Relay& relay, const RelayMessage& m) {
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
    LimitEvent(relay.limiter, m.event, Clock::now(), [&](const AuditEvent& e) {
      Record(e.repeated > 0 ? relay.who : who, e);
    });
    return;
  }
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

void Listener::OnAdmit(pid_t pid, Relay& relay, const RelayMessage& m) {
  auto reply = [&](bool admitted, std::string_view text) {
    Bytes bytes = EncodeRelayReply(admitted, text);
    send(relay.fd.get(), bytes.data(), bytes.size(),
         MSG_DONTWAIT | MSG_NOSIGNAL);
  };
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

}  // namespace sftpd

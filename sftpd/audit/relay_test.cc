#include "sftpd/audit/relay.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "sftpd/base/fd.h"
#include "sftpd/base/log_line.h"
#include "sftpd/base/wire.h"

namespace sftpd {
namespace {

struct Pair {
  Fd child, listener;
};

Pair MakePair() {
  int fds[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == 0);
  return {Fd(fds[0]), Fd(fds[1])};
}

// One message from `fd`, as sent.
Bytes Receive(int fd) {
  Bytes buf(kMaxRelayMessage);
  ssize_t n = recv(fd, buf.data(), buf.size(), 0);
  REQUIRE(n > 0);
  buf.resize(size_t(n));
  return buf;
}

TEST_CASE("audit relay: every message decodes to what was encoded") {
  const AuditEvent e{.op = "rename",
                     .path = "/home/a",
                     .target = "/home/b\nc",
                     .result = "ok",
                     .rule = "r",
                     .detail = "d",
                     .bytes_read = 7,
                     .bytes_written = -1};
  Bytes bytes = EncodeRelayEvent("alice", e, 3);
  auto m = DecodeRelayMessage(bytes);
  REQUIRE(m.has_value());
  CHECK(m->type == RelayType::kEvent);
  CHECK(m->user == "alice");
  CHECK(m->channel == 3);
  CHECK(m->event.op == "rename");
  CHECK(m->event.path == "/home/a");
  CHECK(m->event.target == "/home/b\nc");
  CHECK(m->event.rule == "r");
  CHECK(m->event.detail == "d");
  CHECK(m->event.bytes_read == 7);
  CHECK(m->event.bytes_written == -1);

  Bytes admit = EncodeRelayAdmit("bob", 1234);
  m = DecodeRelayMessage(admit);
  REQUIRE(m.has_value());
  CHECK(m->type == RelayType::kAdmit);
  CHECK(m->user == "bob");
  CHECK(m->uid == 1234);

  Bytes yes = EncodeRelayReply(true, "0123456789abcdef");
  m = DecodeRelayMessage(yes);
  REQUIRE(m.has_value());
  CHECK(m->type == RelayType::kAdmitted);
  CHECK(m->text == "0123456789abcdef");
  Bytes no = EncodeRelayReply(false, "too many");
  m = DecodeRelayMessage(no);
  REQUIRE(m.has_value());
  CHECK(m->type == RelayType::kRefused);
  CHECK(m->text == "too many");

  for (bool refusing : {true, false}) {
    Bytes state = EncodeRelayAuditState(refusing);
    m = DecodeRelayMessage(state);
    REQUIRE(m.has_value());
    CHECK(m->type == RelayType::kAuditState);
    CHECK(m->refusing == refusing);
  }
  const uint8_t two[] = {uint8_t(RelayType::kAuditState), 2};
  CHECK_FALSE(DecodeRelayMessage(two).has_value());

  for (bool to_stderr : {true, false}) {
    Bytes line = EncodeRelayLog(LOG_INFO, "session 1: a line", to_stderr);
    m = DecodeRelayMessage(line);
    REQUIRE(m.has_value());
    CHECK(m->type == RelayType::kLog);
    CHECK(m->priority == LOG_INFO);
    CHECK(m->text == "session 1: a line");
    CHECK(m->to_stderr == to_stderr);
  }
}

TEST_CASE("audit relay: a log line is at most an error, and fits a line") {
  for (int priority : {LOG_ERR, LOG_WARNING, LOG_DEBUG}) {
    INFO(priority);
    CHECK(DecodeRelayMessage(EncodeRelayLog(priority, "x", false)));
  }
  // An alert would reach every console through the journal.
  for (int priority : {LOG_EMERG, LOG_ALERT, LOG_CRIT}) {
    INFO(priority);
    CHECK_FALSE(DecodeRelayMessage(EncodeRelayLog(priority, "x", false)));
  }
  Bytes line = EncodeRelayLog(LOG_INFO, "x", false);
  line[1] = LOG_DEBUG + 1;
  CHECK_FALSE(DecodeRelayMessage(line));
  line = EncodeRelayLog(LOG_INFO, "x", false);
  line[2] = 2;  // to_stderr is a flag
  CHECK_FALSE(DecodeRelayMessage(line));
  // The encoder cuts a long line; one sent longer is refused.
  const std::string long_line(kMaxLogLine + 10, 'y');
  Bytes cut = EncodeRelayLog(LOG_INFO, long_line, false);
  auto m = DecodeRelayMessage(cut);
  REQUIRE(m.has_value());
  CHECK(m->text.size() == kMaxLogLine);
  Bytes sent_long;
  Writer w(sent_long);
  w.U8(uint8_t(RelayType::kLog));
  w.U8(LOG_INFO);
  w.U8(0);
  w.String(long_line);
  CHECK_FALSE(DecodeRelayMessage(sent_long));
}

TEST_CASE("audit relay: malformed messages are refused") {
  Bytes good = EncodeRelayEvent("alice", {.op = "open", .path = "/x"});
  REQUIRE(DecodeRelayMessage(good).has_value());
  // Every strict prefix is short somewhere.
  for (size_t len = 0; len < good.size(); ++len) {
    INFO(len);
    CHECK_FALSE(DecodeRelayMessage(std::span(good.data(), len)).has_value());
  }
  Bytes trailing = good;
  trailing.push_back(0);
  CHECK_FALSE(DecodeRelayMessage(trailing).has_value());
  for (int type : {0, 6, 200}) {
    Bytes other = good;
    other[0] = uint8_t(type);
    CHECK_FALSE(DecodeRelayMessage(other).has_value());
  }
  Bytes huge(kMaxRelayMessage + 1, 0);
  huge[0] = uint8_t(RelayType::kAdmitted);
  CHECK_FALSE(DecodeRelayMessage(huge).has_value());
}

TEST_CASE("audit relay: long fields are cut so an event always fits") {
  std::string big(100000, 'x');
  Bytes bytes = EncodeRelayEvent(big, {.op = big,
                                       .path = big,
                                       .target = big,
                                       .result = big,
                                       .rule = big,
                                       .detail = big});
  CHECK(bytes.size() <= kMaxRelayMessage);
  auto m = DecodeRelayMessage(bytes);
  REQUIRE(m.has_value());
  CHECK(m->event.path.size() == kMaxRelayField);
  CHECK(m->user.size() == kMaxRelayField);
}

TEST_CASE("audit relay: RelayAudit sends events with the claimed user") {
  Pair p = MakePair();
  RelayAudit audit(p.child.get());
  audit.Record({.op = "login", .result = "refused", .rule = "no entry"});
  audit.set_claimed_user("mallory");
  audit.Record({.op = "login", .result = "refused", .rule = "allow_from"});
  Bytes first = Receive(p.listener.get());
  auto m = DecodeRelayMessage(first);
  REQUIRE(m.has_value());
  CHECK(m->user.empty());
  CHECK(m->event.rule == "no entry");
  Bytes second = Receive(p.listener.get());
  m = DecodeRelayMessage(second);
  REQUIRE(m.has_value());
  CHECK(m->user == "mallory");
  CHECK(m->event.rule == "allow_from");
  CHECK(m->channel == kFirstChannel);
}

TEST_CASE("audit relay: a channel's sink marks its events with its number") {
  Pair p = MakePair();
  RelayAudit audit(p.child.get());
  ChannelAudit second(audit, 2);
  second.Record({.op = "login"});
  audit.Record({.op = "open", .path = "/a"});
  auto first_bytes = Receive(p.listener.get());
  auto m = DecodeRelayMessage(first_bytes);
  REQUIRE(m.has_value());
  CHECK(m->event.op == "login");
  CHECK(m->channel == 2);
  auto next_bytes = Receive(p.listener.get());
  m = DecodeRelayMessage(next_bytes);
  REQUIRE(m.has_value());
  CHECK(m->event.op == "open");
  CHECK(m->channel == kFirstChannel);
}

TEST_CASE("audit relay: Admit returns the listener's answer") {
  Pair p = MakePair();
  RelayAudit audit(p.child.get());
  // The listener's side, answering one request each.
  auto answer = [&](bool admitted, std::string text) {
    return std::thread([&p, admitted, text] {
      Bytes request = Receive(p.listener.get());
      auto m = DecodeRelayMessage(request);
      bool ok = m && m->type == RelayType::kAdmit && m->user == "alice" &&
                m->uid == 1000;
      Bytes reply = EncodeRelayReply(admitted && ok, ok ? text : "bad");
      send(p.listener.get(), reply.data(), reply.size(), 0);
    });
  };
  std::thread t = answer(true, "00000000000000ab");
  Result<std::string> id = audit.Admit("alice", 1000, 10000);
  t.join();
  REQUIRE(id.ok());
  CHECK(*id == "00000000000000ab");

  t = answer(false, "user has 16 sessions already");
  id = audit.Admit("alice", 1000, 10000);
  t.join();
  REQUIRE_FALSE(id.ok());
  CHECK(id.error() == "user has 16 sessions already");

  // No answer at all: a bounded wait, then an error.
  id = audit.Admit("alice", 1000, 50);
  REQUIRE_FALSE(id.ok());
  CHECK(id.error() == "no answer from the listener");
  (void)Receive(p.listener.get());  // the unanswered request

  // A malformed answer is not taken for a yes.
  std::thread junk([&p] {
    (void)Receive(p.listener.get());
    const uint8_t bad[] = {uint8_t(RelayType::kAdmitted), 0, 0};
    send(p.listener.get(), bad, sizeof bad, 0);
  });
  id = audit.Admit("alice", 1000, 10000);
  junk.join();
  REQUIRE_FALSE(id.ok());
  CHECK(id.error() == "a malformed answer from the listener");
}

TEST_CASE("audit relay: Refusing follows the listener's audit state") {
  Pair p = MakePair();
  RelayAudit audit(p.child.get());
  CHECK_FALSE(audit.Refusing());
  auto tell = [&](bool refusing) {
    Bytes b = EncodeRelayAuditState(refusing);
    REQUIRE(send(p.listener.get(), b.data(), b.size(), 0) == ssize_t(b.size()));
    // Past the check interval, so the next call reads the news.
    usleep(useconds_t(2 * RelayAudit::kStateCheckMillis * 1000));
  };
  tell(true);
  CHECK(audit.Refusing());
  CHECK(audit.Refusing());  // no news: the state holds
  tell(false);
  CHECK_FALSE(audit.Refusing());
  // Several changes since the last look: the last one counts.
  Bytes off = EncodeRelayAuditState(false);
  send(p.listener.get(), off.data(), off.size(), 0);
  tell(true);
  CHECK(audit.Refusing());
  // Junk is ignored, not taken for a change.
  const uint8_t junk[] = {uint8_t(RelayType::kAuditState), 9};
  send(p.listener.get(), junk, sizeof junk, 0);
  usleep(useconds_t(2 * RelayAudit::kStateCheckMillis * 1000));
  CHECK(audit.Refusing());
  // A listener that is gone leaves the state as it was.
  p.listener.Reset();
  usleep(useconds_t(2 * RelayAudit::kStateCheckMillis * 1000));
  CHECK(audit.Refusing());
}

TEST_CASE("audit relay: a session whose listener is gone ends, unaudited") {
  Pair p = MakePair();
  p.listener.Reset();
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    RelayAudit audit(p.child.get());
    audit.Record({.op = "open", .path = "/x"});
    _exit(0);  // not reached when Record ends the process
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
}

}  // namespace
}  // namespace sftpd

#include "sftpd/daemon/channels.h"

#include <libssh/server.h>
#include <syslog.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sftpd/base/log_line.h"
#include "sftpd/daemon/pacing.h"
#include "sftpd/engine/session.h"
#include "sftpd/frontdoor/pump.h"
#include "sftpd/frontdoor/session_path.h"
#include "sftpd/frontdoor/stop_signal.h"

namespace sftpd {

void Note(int priority, std::string_view line) {
  Say(priority, line, LineTo::kStderrWithPid);
}

namespace {

constexpr int kCloseWaitMillis = 3000;
// Channel opens and requests before the first subsystem starts.
constexpr int kMaxSetupMessages = 64;
constexpr const char* kOnlySftp =
    "sftpd: this server offers only the sftp subsystem\r\n";
// After this long without input on any channel the client has nothing more
// for now: `sftpd sessions` is told at once what the sessions moved.
constexpr int kQuietMillis = 250;
// The longest the loop sleeps in one poll, so time-based work stays due
// and a stop signal that lands just before a poll is seen in time.
constexpr int kMaxPollMillis = kStopCheckMillis;
// What one channel may read per turn of the loop before the others get
// theirs, and the steps (write, process, read) it may take in one turn.
constexpr size_t kTurnBytes = 256 * 1024;
constexpr int kTurnSteps = 64;
// The most one write hands libssh, which sends it and waits until the
// socket took it: small enough that replies reach the client as a stream,
// not in bursts it must buffer (pacing.h).
constexpr uint32_t kMaxWrite = 64 * 1024;
// How often the loop reads the link's round trip again (pacing.h).
constexpr int kLinkCheckMillis = 200;
// How much a client may send on a channel before the session has read it.
// libssh 0.10 keeps a channel's receive window at 1.28 MB at most (and
// grows it back only under half), which over a round trip of 20 ms holds a
// put to about 25 MB/s; OpenSSH's sshd offers 2 MiB. A read that asks for
// more than is buffered plus the window grows the window to what it asks
// beyond the buffered bytes, so ReadChannel asks for this much more than
// it takes (once a quarter of it is used: each growth is a packet), into a
// pump with room for it (SessionPump's `window`). It is also the most a
// client can make the session buffer per channel.
constexpr uint32_t kReceiveWindow = 4 * 1024 * 1024;

using Clock = std::chrono::steady_clock;

// For log lines: what a refused message asked for.
std::string WhatWasAsked(int type, int sub) {
  switch (type) {
    case SSH_REQUEST_CHANNEL_OPEN:
      return sub == SSH_CHANNEL_SESSION        ? "a second session channel"
             : sub == SSH_CHANNEL_DIRECT_TCPIP ? "direct-tcpip"
             : sub == SSH_CHANNEL_X11          ? "an x11 channel"
                                               : "a channel of another type";
    case SSH_REQUEST_CHANNEL:
      switch (sub) {
        case SSH_CHANNEL_REQUEST_PTY:
          return "pty-req";
        case SSH_CHANNEL_REQUEST_ENV:
          return "env";
        case SSH_CHANNEL_REQUEST_SUBSYSTEM:
          return "a subsystem other than sftp";
        case SSH_CHANNEL_REQUEST_X11:
          return "x11-req";
        case SSH_CHANNEL_REQUEST_WINDOW_CHANGE:
          return "window-change";
        default:
          return "channel request " + std::to_string(sub);
      }
    case SSH_REQUEST_GLOBAL:
      return sub == SSH_GLOBAL_REQUEST_TCPIP_FORWARD ? "tcpip-forward"
                                                     : "a global request";
    default:
      return "message type " + std::to_string(type);
  }
}

// The env names OpenSSH's client sends by default (SendEnv LANG LC_*):
// accepted by nobody and not worth a line each time.
bool IsLocaleEnv(std::string_view name) {
  return name == "LANG" || name.starts_with("LC_");
}

// Refuses a channel open or request that is not the sftp subsystem (`type`
// and `sub` of `m`): an audit line of its own (op "channel", rule
// kRuleUnsupportedChannel, the detail what was asked: "exec: COMMAND",
// "shell", "subsystem: NAME", "pty-req"...) and a log line, on `channel`.
// env is refused without either: LANG and LC_* silently, other names on a
// debug line. Global requests (OpenSSH's keepalives) are not looked at.
void NoteRefusal(ssh_message m, int type, int sub, const std::string& who,
                 RelayAudit& audit, uint32_t channel) {
  if (type == SSH_REQUEST_GLOBAL) return;
  std::string asked = WhatWasAsked(type, sub);
  if (type == SSH_REQUEST_CHANNEL) {
    auto text = [](const char* s) {
      return Printable(s != nullptr ? s : "", kMaxShownName);
    };
    switch (sub) {
      case SSH_CHANNEL_REQUEST_ENV: {
        const char* name = ssh_message_channel_request_env_name(m);
        if (name != nullptr && IsLocaleEnv(name)) return;
        Say(LOG_DEBUG, who + "refused env " + text(name), LineTo::kSyslogOnly);
        return;
      }
      case SSH_CHANNEL_REQUEST_EXEC:
        asked = "exec: ";
        // The command as the client sent it: the audit line escapes it,
        // the log line quotes it through Printable.
        asked += [&] {
          const char* c = ssh_message_channel_request_command(m);
          return std::string(c != nullptr ? c : "").substr(0, kMaxShownName);
        }();
        break;
      case SSH_CHANNEL_REQUEST_SHELL:
        asked = "shell";
        break;
      case SSH_CHANNEL_REQUEST_SUBSYSTEM:
        asked = "subsystem: ";
        asked += [&] {
          const char* c = ssh_message_channel_request_subsystem(m);
          return std::string(c != nullptr ? c : "").substr(0, kMaxShownName);
        }();
        break;
      default:
        break;
    }
  }
  Note(LOG_NOTICE, who + "refused " + asked);
  audit.Record({.op = "channel",
                .result = "refused",
                .rule = kRuleUnsupportedChannel,
                .detail = asked},
               channel);
}

bool IsSftp(ssh_message m, int sub) {
  const char* name = ssh_message_channel_request_subsystem(m);
  return sub == SSH_CHANNEL_REQUEST_SUBSYSTEM && name != nullptr &&
         strcmp(name, "sftp") == 0;
}

// Refuses exec or shell (`sub`) on `chan`: a line on stderr saying only
// sftp is offered, the failure, exit status 1, EOF and close. The line goes
// out only when the channel's window has room for it, so this never waits
// for the client.
void RefuseCommand(ssh_message m, ssh_channel chan, int sub,
                   const std::string& who, RelayAudit& audit,
                   uint32_t channel) {
  NoteRefusal(m, SSH_REQUEST_CHANNEL, sub, who, audit, channel);
  ssh_message_reply_default(m);
  RefuseChannel(chan, kOnlySftp);
}

bool IsCommand(int sub) {
  return sub == SSH_CHANNEL_REQUEST_EXEC || sub == SSH_CHANNEL_REQUEST_SHELL;
}

// After the server closed its channels, the client answers with its own
// closes and then ends the connection; ending it first would make OpenSSH's
// client report "closed by remote host". Bounded: a client that stays is
// disconnected after kCloseWaitMillis.
void AwaitClientClose(ssh_session s, ssh_event event) {
  for (int waited = 0; waited < kCloseWaitMillis && ssh_is_connected(s);
       waited += 100) {
    if (ssh_event_dopoll(event, 100) == SSH_ERROR) break;
  }
}

// Reads what `chan` has buffered, at most `budget` bytes, into `room`.
// Once the session has read a quarter of kReceiveWindow since the last
// top-up (`*unadjusted`, 0 for a new channel, which tops up at once) and
// it takes all there is, it asks for kReceiveWindow more, which tops the
// client's window up to that: libssh sends one window adjust then, not one
// per read. The room it passes has space for all it asks. Returns the bytes
// read, 0 when none are buffered, SSH_EOF or SSH_ERROR (as
// ssh_channel_read_nonblocking).
int ReadChannel(ssh_channel chan, std::span<uint8_t> room, size_t budget,
                size_t* unadjusted) {
  const int buffered = ssh_channel_poll(chan, 0);
  if (buffered <= 0) return buffered;
  const size_t have = size_t(buffered);
  size_t count = std::min({have, budget, room.size()});
  if (count == have && room.size() >= have + kReceiveWindow &&
      (*unadjusted == 0 || *unadjusted >= kReceiveWindow / 4)) {
    count = have + kReceiveWindow;
    *unadjusted = 0;
  }
  // Timeout 0: never waits (the bytes are there already).
  const int n =
      ssh_channel_read_timeout(chan, room.data(), uint32_t(count), 0, 0);
  if (n > 0) *unadjusted += size_t(n);
  return n;
}

// Once the loop is gone, whatever arrives is refused (libssh answers when
// the callback returns 1).
int RefuseAll(ssh_session, ssh_message, void*) { return 1; }

// The loop of ServeChannels.
class Multiplexer {
 public:
  Multiplexer(ssh_session s, const ChannelsSetup& setup)
      : s_(s), setup_(setup), idle_(setup.config.server.idle_timeout) {}
  Multiplexer(const Multiplexer&) = delete;
  Multiplexer& operator=(const Multiplexer&) = delete;

  int Run(ssh_channel first);

 private:
  // An SFTP channel and its own session.
  struct Channel {
    Channel(ssh_channel c, uint32_t n, std::string i, const ChannelsSetup& s)
        : chan(c),
          number(n),
          id(std::move(i)),
          audit(s.audit, n),
          session(s.exports, audit, s.user, s.symlink_order),
          pump(session, kReceiveWindow) {}
    ssh_channel chan;
    uint32_t number;
    size_t unadjusted = 0;  // bytes read since ReadChannel last topped up
    std::string id;  // as the listener stamps its events: "ID", "ID.2"...
    ChannelAudit audit;
    Session session;
    SessionPump pump;
    size_t sent = 0;      // bytes of session.output() written
    ReplyPacer pacer;     // how much of its window it may fill now
    uint64_t active = 0;  // the loop's count when it last had input
    bool done = false;    // it ends: `end` says why, or it is clean
    Result<void> end;
  };
  // A channel opened and not yet serving SFTP. Only the message callback
  // adds them; only the loop removes them.
  struct Opened {
    ssh_channel chan;
    enum class State { kWaiting, kSftp, kRefused } state = State::kWaiting;
  };

  static int OnMessage(ssh_session, ssh_message m, void* self) {
    return static_cast<Multiplexer*>(self)->Answer(m);
  }
  // The message callback: libssh runs it from inside its reads, writes and
  // polls, so it only answers and records; the loop acts. Returns 1 for
  // libssh's default refusal.
  int Answer(ssh_message m);
  // Channels open now, for the limit: those the client has closed count no
  // more, though the loop has not freed them yet (a client may close one
  // and open the next in one burst, as paramiko does).
  size_t OpenChannels() const;

  // Starts SFTP sessions on the channels whose subsystem was accepted and
  // frees those refused or closed before they started.
  void Adopt();
  void Start(ssh_channel chan);
  // One turn of one channel: writes what its window takes, runs buffered
  // requests while its replies are written, reads what has arrived. Returns
  // whether anything moved; sets *input when bytes were read.
  bool Serve(Channel& ch, bool* input);
  // Turns over every channel until the client leaves, a stop signal
  // arrives, the connection breaks or is idle too long.
  void Loop(ssh_event event);
  // After the loop: ends every channel still open (each as its input did)
  // and waits for the client to close. Returns the process's exit status.
  int WindDown(ssh_event event);
  static void Stop(Channel& ch, Result<void> end) {
    ch.done = true;
    ch.end = std::move(end);
  }
  // Ends the channels that are done (all of them with `all`).
  void Finish(bool all);
  void End(Channel& ch);
  void Progress(bool now);

  ssh_session s_;
  const ChannelsSetup& setup_;
  std::vector<std::unique_ptr<Channel>> channels_;
  std::vector<Opened> opened_;
  uint32_t next_number_ = kFirstChannel;
  uint64_t turns_ = 0;
  IdleDeadline idle_;
  Clock::time_point last_input_ = Clock::now();
  bool quiet_ = true;  // told since the last input
  // What a channel may send unread (pacing.h), from the round trip read at
  // link_checked_.
  uint64_t unread_limit_ = UnreadLimit(std::nullopt);
  Clock::time_point link_checked_{};
  // What the channels that ended moved, for `sftpd sessions`.
  uint64_t ended_read_ = 0, ended_written_ = 0;
  bool any_broken_ = false;
};

int Multiplexer::Answer(ssh_message m) {
  const int type = ssh_message_type(m);
  const int sub = ssh_message_subtype(m);
  if (type == SSH_REQUEST_CHANNEL_OPEN && sub == SSH_CHANNEL_SESSION) {
    const int max = setup_.config.server.max_channels_per_connection;
    if (OpenChannels() >= size_t(max)) {
      Note(LOG_NOTICE, setup_.who +
                           "refused a session channel: " + std::to_string(max) +
                           " open already (max_channels_per_connection)");
      return 1;
    }
    ssh_channel chan = ssh_message_channel_request_open_reply_accept(m);
    if (chan == nullptr) return 0;  // the client is gone; nothing to answer
    opened_.push_back({chan});
    return 0;
  }
  if (type == SSH_REQUEST_CHANNEL) {
    ssh_channel chan = ssh_message_channel_request_channel(m);
    auto it = std::find_if(opened_.begin(), opened_.end(),
                           [&](const Opened& o) { return o.chan == chan; });
    // A request on a serving channel (a second subsystem, a signal...):
    // refused, as it always was.
    if (it == opened_.end() || it->state != Opened::State::kWaiting) return 1;
    if (IsSftp(m, sub)) {
      ssh_message_channel_request_reply_success(m);
      it->state = Opened::State::kSftp;
      return 0;
    }
    if (IsCommand(sub)) {
      RefuseCommand(m, chan, sub, setup_.who, setup_.audit, kFirstChannel);
      it->state = Opened::State::kRefused;
      return 0;
    }
  }
  NoteRefusal(m, type, sub, setup_.who, setup_.audit, kFirstChannel);
  return 1;
}

size_t Multiplexer::OpenChannels() const {
  size_t n = 0;
  for (const Opened& o : opened_) {
    n += o.state != Opened::State::kRefused && !ssh_channel_is_closed(o.chan);
  }
  for (const auto& ch : channels_) {
    n += !ch->done && !ssh_channel_is_closed(ch->chan);
  }
  return n;
}

void Multiplexer::Adopt() {
  for (size_t i = 0; i < opened_.size();) {
    const Opened o = opened_[i];
    const bool closed = ssh_channel_is_closed(o.chan) != 0;
    if (o.state == Opened::State::kWaiting && !closed) {
      ++i;
      continue;
    }
    opened_.erase(opened_.begin() + ptrdiff_t(i));
    if (o.state == Opened::State::kSftp && !closed) {
      Start(o.chan);
    } else {
      ssh_channel_free(o.chan);
    }
  }
}

void Multiplexer::Start(ssh_channel chan) {
  const uint32_t number = next_number_++;
  std::string id = setup_.session_id;
  if (number > kFirstChannel) id += "." + std::to_string(number);
  auto ch = std::make_unique<Channel>(chan, number, std::move(id), setup_);
  RecordLogin(ch->audit, ch->id, setup_.who, setup_.exports.size(),
              {.op = "login",
               .detail = setup_.login,
               .method = setup_.method,
               .key = setup_.key});
  WriteNotice(chan, setup_.notice);
  channels_.push_back(std::move(ch));
}

bool Multiplexer::Serve(Channel& ch, bool* input) {
  if (ch.done) return false;
  bool moved = false;
  size_t budget = kTurnBytes;
  for (int step = 0; step < kTurnSteps; ++step) {
    Bytes& out = ch.session.output();
    if (ch.sent < out.size()) {
      // Only what the window takes: a client that stops reading this
      // channel holds its replies (and, past the high-water mark, its
      // requests), not the other channels.
      const uint32_t allowed = ch.pacer.Allowance(
          ssh_channel_window_size(ch.chan), unread_limit_, Clock::now());
      if (allowed == 0) return moved;
      const uint32_t len = uint32_t(
          std::min<size_t>({out.size() - ch.sent, allowed, kMaxWrite}));
      const int n = ssh_channel_write(ch.chan, out.data() + ch.sent, len);
      if (n <= 0) {
        Stop(ch, Error{std::string("channel write: ") + ssh_get_error(s_)});
        return true;
      }
      ch.sent += size_t(n);
      ch.pacer.Sent(uint32_t(n));
      moved = true;
      if (ch.sent < out.size()) continue;
      out.clear();
      ch.sent = 0;
      Progress(false);
    }
    Result<size_t> used = ch.pump.Step();
    if (!used.ok()) {
      Stop(ch, Error{used.error()});
      return true;
    }
    if (*used > 0 || !out.empty()) {
      moved = true;
      continue;
    }
    if (budget == 0) return moved;
    const int n = ReadChannel(ch.chan, ch.pump.Room(), budget, &ch.unadjusted);
    if (n == SSH_EOF || (n <= 0 && (ssh_channel_is_eof(ch.chan) ||
                                    ssh_channel_is_closed(ch.chan)))) {
      Stop(ch, ch.pump.Ended());
      return true;
    }
    if (n < 0) {
      Stop(ch, Error{ssh_get_error(s_)});
      return true;
    }
    if (n == 0) return moved;
    ch.pump.Stored(size_t(n));
    budget -= std::min(budget, size_t(n));
    ch.active = turns_;
    *input = true;
    moved = true;
  }
  return moved;
}

void Multiplexer::End(Channel& ch) {
  if (!ch.end) any_broken_ = true;
  RecordLogout(ch.session, ch.audit, ch.id, ch.end);
  const Session::Progress& p = ch.session.progress();
  ended_read_ += p.bytes_read;
  ended_written_ += p.bytes_written;
  if (!ssh_channel_is_closed(ch.chan)) {
    ssh_channel_request_send_exit_status(ch.chan, ch.end ? 0 : 1);
    ssh_channel_send_eof(ch.chan);
    ssh_channel_close(ch.chan);
  }
  // libssh frees it when the client's close has arrived too.
  ssh_channel_free(ch.chan);
}

void Multiplexer::Finish(bool all) {
  for (size_t i = 0; i < channels_.size();) {
    if (!all && !channels_[i]->done) {
      ++i;
      continue;
    }
    End(*channels_[i]);
    channels_.erase(channels_.begin() + ptrdiff_t(i));
  }
}

// What the sessions moved, for `sftpd sessions`: the sums over every channel
// of the connection, and the open file of the one that had input last.
void Multiplexer::Progress(bool now) {
  uint64_t read = ended_read_, written = ended_written_;
  const Channel* latest = nullptr;
  for (const auto& ch : channels_) {
    const Session::Progress& p = ch->session.progress();
    read += p.bytes_read;
    written += p.bytes_written;
    if (!p.current.empty() &&
        (latest == nullptr || ch->active > latest->active)) {
      latest = ch.get();
    }
  }
  setup_.audit.Progress(read, written,
                        latest ? latest->session.progress().current : "", now);
}

int Multiplexer::Run(ssh_channel first) {
  ssh_set_message_callback(s_, &Multiplexer::OnMessage, this);
  // From here a stop signal (sftpd kick) ends the loop, and the process
  // closes its sessions' files, audited, before it ends by that signal.
  CatchStopSignals();
  Start(first);
  ssh_event event = ssh_event_new();
  if (event == nullptr || ssh_event_add_session(event, s_) != SSH_OK) {
    for (auto& ch : channels_) {
      Stop(*ch, Error{"cannot poll the connection"});
    }
    Finish(/*all=*/true);
    if (event != nullptr) ssh_event_free(event);
    ssh_set_message_callback(s_, RefuseAll, nullptr);
    return 1;
  }
  Loop(event);
  return WindDown(event);
}

void Multiplexer::Loop(ssh_event event) {
  const int idle_timeout = setup_.config.server.idle_timeout;
  for (;; ++turns_) {
    if (StopSignal() != 0) break;
    if (const Clock::time_point now = Clock::now();
        now - link_checked_ >= std::chrono::milliseconds(kLinkCheckMillis)) {
      unread_limit_ = UnreadLimit(LinkRttMicros(ssh_get_fd(s_)));
      link_checked_ = now;
    }
    Adopt();
    bool moved = false, input = false;
    // Indexes: a write may run the message callback, which never touches
    // channels_, but Serve is kept from holding iterators over it anyway.
    for (size_t i = 0; i < channels_.size(); ++i) {
      moved = Serve(*channels_[i], &input) || moved;
    }
    if (input) {
      idle_ = IdleDeadline(idle_timeout);
      last_input_ = Clock::now();
      quiet_ = false;
    }
    Finish(/*all=*/false);
    if (!ssh_is_connected(s_)) break;
    const int idle_ms = idle_.WaitMillis();
    if (idle_ms == 0) {
      for (auto& ch : channels_) Stop(*ch, IdleTimeout(idle_timeout));
      break;
    }
    if (moved) continue;
    const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(
                           Clock::now() - last_input_)
                           .count();
    if (!quiet_ && since >= kQuietMillis) {
      quiet_ = true;
      Progress(true);
    }
    int wait = idle_ms < 0 ? kMaxPollMillis : std::min(idle_ms, kMaxPollMillis);
    if (!quiet_) wait = std::min<int>(wait, kQuietMillis - int(since));
    // An error: the connection is broken (no signal is handled here).
    if (ssh_event_dopoll(event, std::max(wait, 1)) == SSH_ERROR) break;
  }
}

int Multiplexer::WindDown(ssh_event event) {
  if (const int sig = StopSignal(); sig != 0) {
    // Each session closes its open files, each close audited with its
    // bytes; the process then ends by the signal, and the listener, having
    // read those lines first, writes each session's logout ("kicked (sftpd
    // kick)" after a kick) as for any session that ended so.
    Say(LOG_NOTICE, setup_.who + StoppedBy(sig), LineTo::kSyslogOnly);
    for (auto& ch : channels_) ch->session.Close();
    EndBySignal(sig);
  }
  // The client left (each channel still open ends as its input did) or
  // the connection was idle too long.
  for (auto& ch : channels_) {
    if (ch->done) continue;
    Stop(*ch, ssh_channel_is_eof(ch->chan) || ssh_channel_is_closed(ch->chan)
                  ? ch->pump.Ended()
                  : Result<void>(Error{ssh_get_error(s_)}));
  }
  Finish(/*all=*/true);
  for (const Opened& o : opened_) ssh_channel_free(o.chan);
  opened_.clear();
  AwaitClientClose(s_, event);
  ssh_event_remove_session(event, s_);
  ssh_event_free(event);
  ssh_set_message_callback(s_, RefuseAll, nullptr);
  return any_broken_ ? 1 : 0;
}

}  // namespace

void WriteNotice(ssh_channel chan, std::string_view line) {
  if (!line.empty() && ssh_channel_window_size(chan) >= line.size()) {
    ssh_channel_write_stderr(chan, line.data(), uint32_t(line.size()));
  }
}

void RefuseChannel(ssh_channel chan, std::string_view line) {
  WriteNotice(chan, line);
  ssh_channel_request_send_exit_status(chan, 1);
  ssh_channel_send_eof(chan);
  ssh_channel_close(chan);
}

ssh_channel OpenSftpChannel(ssh_session s, const std::string& who,
                            RelayAudit& audit) {
  ssh_channel chan = nullptr;
  for (int i = 0; i < kMaxSetupMessages; ++i) {
    MessagePtr m(ssh_message_get(s));
    if (!m) return nullptr;
    int type = ssh_message_type(m.get());
    int sub = ssh_message_subtype(m.get());
    if (type == SSH_REQUEST_CHANNEL_OPEN && sub == SSH_CHANNEL_SESSION &&
        chan == nullptr) {
      chan = ssh_message_channel_request_open_reply_accept(m.get());
      continue;
    }
    if (type == SSH_REQUEST_CHANNEL && chan != nullptr &&
        ssh_message_channel_request_channel(m.get()) == chan) {
      if (IsSftp(m.get(), sub)) {
        ssh_message_channel_request_reply_success(m.get());
        return chan;
      }
      if (IsCommand(sub)) {
        RefuseCommand(m.get(), chan, sub, who, audit, kFirstChannel);
        return nullptr;
      }
    }
    NoteRefusal(m.get(), type, sub, who, audit, kFirstChannel);
    ssh_message_reply_default(m.get());
  }
  return nullptr;
}

int ServeChannels(ssh_session s, ssh_channel first,
                  const ChannelsSetup& setup) {
  Multiplexer mux(s, setup);
  return mux.Run(first);
}

}  // namespace sftpd

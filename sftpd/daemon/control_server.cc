// The listener's control server: [server] control_socket, where root asks
// for the live sessions, kicks one, reads the status, reloads, lists and
// lifts bans (control/control.h speaks the protocol). One request per
// connection, answered in the poll loop within kControlTimeoutMillis.
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "sftpd/daemon/listener.h"

namespace sftpd {

namespace {

// Whether `target` (of `sftpd kick`) names session `id` or one of its
// channels ("ID.2").
bool NamesSession(std::string_view target, std::string_view id) {
  return target == id ||
         (target.size() > id.size() && target.substr(0, id.size()) == id &&
          target[id.size()] == '.');
}

// How long a control client may take to send its request or read the
// answer; the listener waits for nothing else meanwhile.
constexpr int kControlTimeoutMillis = 1000;

}  // namespace

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
    answer =
        r ? ControlAnswer(*r, *peer)
          : std::string(kControlError) +
                "unknown request; expected sessions, kick "
                "USER|SESSION, status, reload, bans or unban ADDRESS|CIDR\n";
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
                 .listen = listening_,
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
  std::optional<Cidr> c = ParseBanTarget(target);
  if (!c) {
    return std::string(kControlError) + "'" + target +
           "' is not an address or CIDR block\n";
  }
  const std::vector<Defender::Ban> lifted = defender_.Unban(*c, Clock::now());
  if (lifted.empty()) {
    return std::string(kControlError) + "no ban on " + target + "\n";
  }
  std::string answer;
  for (const Defender::Ban& b : lifted) {
    // A ban wider than the target is named as such: unbanning one address
    // lets in its whole /64 (or /48).
    const bool v4 = c->base.IsV4() && c->prefix >= 96;  // bans are /32
    const bool wider = !v4 && b.prefix < c->prefix;
    const std::string what =
        b.address + (wider ? ", which holds " + target : "");
    Say(LOG_NOTICE, "unbanned " + what + " (sftpd unban)");
    const std::string base = b.address.substr(0, b.address.find('/'));
    Record({.address = base},
           {.op = "unban",
            .rule = "defender",
            .detail = "sftpd unban by uid " + std::to_string(peer) +
                      (b.address == base ? "" : ": " + b.address)});
    answer += "unbanned " + what + "\n";
  }
  return answer;
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

}  // namespace sftpd

#include "sftpd/control/control.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "config/config.h"
#include "sftpd/audit/audit.h"
#include "sftpd/audit/record.h"

namespace sftpd {

namespace {

// The most an answer may hold.
constexpr size_t kMaxAnswer = 16 * 1024 * 1024;

Result<sockaddr_un> SocketAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    return Error{"control socket path '" + path + "' is empty or too long"};
  }
  memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

std::string Errno(const std::string& what) {
  return what + ": " + strerror(errno);
}

Result<Fd> Connect(const std::string& path) {
  Result<sockaddr_un> addr = SocketAddress(path);
  if (!addr) return Error{addr.error()};
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Error{Errno("socket")};
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&*addr),
              sizeof *addr) != 0) {
    return Error{Errno(path)};
  }
  return fd;
}

std::string Human(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = double(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, kUnits[u]);
  return buf;
}

}  // namespace

std::string FormatLiveSession(const LiveSession& s, std::string_view op) {
  const std::string detail = "pid " + std::to_string(s.pid);
  AuditEvent e{.op = op,
               .path = s.current,
               .detail = detail,
               .bytes_read = int64_t(s.bytes_read),
               .bytes_written = int64_t(s.bytes_written)};
  return FormatAuditEvent({.session = s.id,
                           .user = s.user,
                           .uid = s.uid,
                           .address = s.address,
                           .port = s.port},
                          e, s.since_us);
}

namespace {

struct VerbName {
  ControlRequest::Verb verb;
  std::string_view name;
  bool takes_target;
};
constexpr VerbName kVerbs[] = {
    {ControlRequest::Verb::kSessions, "sessions", false},
    {ControlRequest::Verb::kKick, "kick", true},
    {ControlRequest::Verb::kStatus, "status", false},
    {ControlRequest::Verb::kReload, "reload", false},
    {ControlRequest::Verb::kBans, "bans", false},
    {ControlRequest::Verb::kUnban, "unban", true},
};

}  // namespace

std::optional<ControlRequest> ParseControlRequest(std::string_view line) {
  for (const VerbName& v : kVerbs) {
    if (!v.takes_target) {
      if (line == v.name) return ControlRequest{v.verb, ""};
      continue;
    }
    if (line.size() > v.name.size() + 1 && line.starts_with(v.name) &&
        line[v.name.size()] == ' ' &&
        line.find_first_of(" \t\r\n", v.name.size() + 1) ==
            std::string_view::npos) {
      return ControlRequest{v.verb,
                            std::string(line.substr(v.name.size() + 1))};
    }
  }
  return std::nullopt;
}

std::string FormatControlRequest(const ControlRequest& r) {
  for (const VerbName& v : kVerbs) {
    if (v.verb != r.verb) continue;
    return v.takes_target ? std::string(v.name) + " " + r.target
                          : std::string(v.name);
  }
  return "";
}

Result<Fd> ListenControl(const std::string& path) {
  Result<sockaddr_un> addr = SocketAddress(path);
  if (!addr) return Error{addr.error()};
  if (path[0] != '/') return Error{"control socket path is not absolute"};
  const std::string dir = ParentDir(path);
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Error{Errno("control socket directory " + dir)};
  }
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0) {
    return Error{Errno("control socket directory " + dir)};
  }
  if (!S_ISDIR(st.st_mode)) {
    return Error{"control socket directory " + dir + " is not a directory"};
  }
  if (st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
    return Error{"control socket directory " + dir + " (uid " +
                 std::to_string(st.st_uid) + ", mode " + OctalMode(st.st_mode) +
                 ") must be the server's own (uid " +
                 std::to_string(geteuid()) +
                 ") and writable by no one else; use a directory of its own, "
                 "such as /run/sftpd"};
  }
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Error{"control socket " + path + " exists and is not a socket"};
    }
    if (Connect(path).ok()) {
      return Error{"control socket " + path +
                   " is in use: another sftpd serve runs"};
    }
    if (unlink(path.c_str()) != 0) return Error{Errno("unlink " + path)};
  }
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return Error{Errno("socket")};
  // Made 0600 from the start: no moment where another user may connect.
  const mode_t old = umask(0177);
  const int bound =
      bind(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr);
  const int bind_errno = errno;
  umask(old);
  if (bound != 0) {
    errno = bind_errno;
    return Error{Errno("bind " + path)};
  }
  if (listen(fd.get(), 8) != 0) return Error{Errno("listen " + path)};
  return fd;
}

std::optional<uid_t> PeerUid(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return std::nullopt;
  }
  return cred.uid;
}

Result<std::vector<std::string>> AskDaemon(const std::string& path,
                                           const ControlRequest& r,
                                           int timeout_ms) {
  Result<Fd> fd = Connect(path);
  if (!fd) {
    return Error{"cannot reach the daemon: " + fd.error() +
                 " (is sftpd serve running, with this config?)"};
  }
  const std::string line = FormatControlRequest(r) + "\n";
  if (send(fd->get(), line.data(), line.size(), MSG_NOSIGNAL) !=
      ssize_t(line.size())) {
    return Error{Errno("send")};
  }
  std::string answer;
  char buf[8192];
  for (;;) {
    pollfd p{fd->get(), POLLIN, 0};
    const int ready = poll(&p, 1, timeout_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return Error{"no answer from the daemon"};
    const ssize_t n = recv(fd->get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{Errno("recv")};
    if (n == 0) break;
    answer.append(buf, size_t(n));
    if (answer.size() > kMaxAnswer) return Error{"the answer is too long"};
  }
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < answer.size()) {
    size_t nl = answer.find('\n', start);
    if (nl == std::string::npos) nl = answer.size();
    lines.push_back(answer.substr(start, nl - start));
    start = nl + 1;
  }
  if (!lines.empty() && lines[0].starts_with(kControlError)) {
    return Error{"the daemon says: " + lines[0].substr(kControlError.size())};
  }
  return lines;
}

int PrintSessions(const std::string& path, bool json, FILE* out, FILE* err) {
  Result<std::vector<std::string>> lines =
      AskDaemon(path, ControlRequest{}, 5000);
  if (!lines) {
    fprintf(err, "sftpd sessions: %s\n", lines.error().c_str());
    return 1;
  }
  if (!json) {
    fprintf(out, "%-16s %-8s %-12s %-22s %-20s %10s %10s  %s\n", "SESSION",
            "PID", "USER", "FROM", "SINCE (UTC)", "READ", "WRITTEN", "FILE");
  }
  AuditRecord r;
  for (const std::string& line : *lines) {
    if (json) {
      fprintf(out, "%s\n", line.c_str());
      continue;
    }
    if (Result<void> parsed = ParseAuditLine(line, &r); !parsed) {
      fprintf(err, "sftpd sessions: a malformed answer line (%s)\n",
              parsed.error().c_str());
      return 1;
    }
    std::string since = r.time.substr(0, 19);
    if (since.size() > 10) since[10] = ' ';
    const std::string from =
        r.address.empty() ? "-" : r.address + " " + std::to_string(r.port);
    const std::string pid =
        r.detail.starts_with("pid ") ? r.detail.substr(4) : "?";
    fprintf(out, "%-16s %-8s %-12s %-22s %-20s %10s %10s  %s\n",
            TerminalSafe(r.session).c_str(), TerminalSafe(pid).c_str(),
            TerminalSafe(r.user).c_str(), TerminalSafe(from).c_str(),
            TerminalSafe(since).c_str(),
            Human(uint64_t(std::max<int64_t>(r.bytes_read, 0))).c_str(),
            Human(uint64_t(std::max<int64_t>(r.bytes_written, 0))).c_str(),
            r.path.empty() ? "-" : TerminalSafe(r.path).c_str());
  }
  return 0;
}

int Kick(const std::string& path, const std::string& target, FILE* out,
         FILE* err) {
  Result<std::vector<std::string>> lines = AskDaemon(
      path, ControlRequest{ControlRequest::Verb::kKick, target}, 5000);
  if (!lines) {
    fprintf(err, "sftpd kick: %s\n", lines.error().c_str());
    return 1;
  }
  AuditRecord r;
  for (const std::string& line : *lines) {
    if (!ParseAuditLine(line, &r)) continue;
    fprintf(out, "kicked session %s of %s from %s (%s)\n",
            TerminalSafe(r.session).c_str(), TerminalSafe(r.user).c_str(),
            TerminalSafe(r.address.empty() ? "-" : r.address).c_str(),
            TerminalSafe(r.detail).c_str());
  }
  return 0;
}

}  // namespace sftpd

#include "sftpd/daemon/lifecycle.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>

#include "config/config.h"
#include "sftpd/base/fd.h"

namespace sftpd {

namespace {

// More than any socket unit lists; a larger count is not systemd's.
constexpr long kMaxListenFds = 64;

std::string Errno(const std::string& what) {
  return what + ": " + strerror(errno);
}

}  // namespace

Result<void> Notify(const std::string& socket, std::string_view state) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket.size() < 2 || (socket[0] != '/' && socket[0] != '@') ||
      socket.size() > sizeof addr.sun_path) {
    return Error{"NOTIFY_SOCKET '" + socket +
                 "' is not a socket path or @name"};
  }
  if (socket[0] == '/' && socket.size() == sizeof addr.sun_path) {
    return Error{"NOTIFY_SOCKET '" + socket + "' is too long"};
  }
  memcpy(addr.sun_path, socket.data(), socket.size());
  // An abstract name: a leading NUL, and the address's length counts its
  // bytes exactly (no terminating NUL).
  socklen_t len = socklen_t(offsetof(sockaddr_un, sun_path) + socket.size());
  if (socket[0] == '@') {
    addr.sun_path[0] = '\0';
  } else {
    len += 1;
  }
  Fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Error{Errno("socket")};
  const ssize_t n = sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
                           reinterpret_cast<const sockaddr*>(&addr), len);
  if (n != ssize_t(state.size())) {
    return Error{Errno("NOTIFY_SOCKET " + socket)};
  }
  return {};
}

std::string TakeNotifySocket() {
  const char* value = getenv("NOTIFY_SOCKET");
  std::string socket = value != nullptr ? value : "";
  unsetenv("NOTIFY_SOCKET");
  return socket;
}

Result<int> ListenFdCount(const char* listen_pid, const char* listen_fds,
                          pid_t self) {
  if (listen_pid == nullptr || listen_fds == nullptr) return 0;
  auto number = [](std::string_view text) -> std::optional<long> {
    long value = 0;
    auto [end, ec] =
        std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
        value < 0) {
      return std::nullopt;
    }
    return value;
  };
  const std::optional<long> pid = number(listen_pid);
  if (!pid) {
    return Error{"LISTEN_PID '" + std::string(listen_pid) +
                 "' is not a process id"};
  }
  if (*pid != self) return 0;
  const std::optional<long> count = number(listen_fds);
  if (!count || *count > kMaxListenFds) {
    return Error{"LISTEN_FDS '" + std::string(listen_fds) +
                 "' is not a count of sockets (0 to " +
                 std::to_string(kMaxListenFds) + ")"};
  }
  return int(*count);
}

Result<Fd> TakeListeningSocket(int fd) {
  Fd taken(fd);
  const std::string name = "descriptor " + std::to_string(fd);
  int type = 0, listening = 0;
  sockaddr_storage ss{};
  socklen_t len = sizeof type, len2 = sizeof listening, len3 = sizeof ss;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
      getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len2) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len3) != 0) {
    return Error{Errno(name + " is not a socket")};
  }
  if (type != SOCK_STREAM ||
      (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) {
    return Error{name + " is not a TCP socket"};
  }
  if (listening == 0) return Error{name + " is not listening"};
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
    return Error{Errno(name + ": close-on-exec")};
  }
  return taken;
}

Result<std::vector<Fd>> TakeListenFds() {
  const char* pid = getenv("LISTEN_PID");
  const char* fds = getenv("LISTEN_FDS");
  const Result<int> count = ListenFdCount(pid, fds, getpid());
  unsetenv("LISTEN_PID");
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_FDNAMES");
  if (!count) return Error{count.error()};
  std::vector<Fd> sockets;
  for (int fd = kFirstListenFd; fd < kFirstListenFd + *count; ++fd) {
    Result<Fd> socket = TakeListeningSocket(fd);
    if (!socket) return Error{"systemd's socket: " + socket.error()};
    sockets.push_back(std::move(*socket));
  }
  return sockets;
}

Result<std::string> WritePidFile(const std::string& dir) {
  Fd d(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!d.valid()) return Error{Errno("pid file directory " + dir)};
  struct stat st;
  if (fstat(d.get(), &st) != 0) return Error{Errno("fstat " + dir)};
  if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Error{"pid file directory " + dir +
                 " is not ours alone (owner or mode): no pid file"};
  }
  const std::string path = dir + "/" + kPidFileName;
  const std::string tmp_name = std::string(kPidFileName) + ".new";
  unlinkat(d.get(), tmp_name.c_str(), 0);
  Fd f(openat(d.get(), tmp_name.c_str(),
              O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!f.valid()) return Error{Errno("create " + dir + "/" + tmp_name)};
  const std::string text = std::to_string(getpid()) + "\n";
  if (fchmod(f.get(), 0644) != 0 ||
      write(f.get(), text.data(), text.size()) != ssize_t(text.size())) {
    const std::string e = Errno("write " + dir + "/" + tmp_name);
    unlinkat(d.get(), tmp_name.c_str(), 0);
    return Error{e};
  }
  f.Reset();
  if (renameat(d.get(), tmp_name.c_str(), d.get(), kPidFileName) != 0) {
    const std::string e = Errno("rename to " + path);
    unlinkat(d.get(), tmp_name.c_str(), 0);
    return Error{e};
  }
  return path;
}

std::optional<pid_t> ReadPidFile(const std::string& path) {
  Fd f(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!f.valid()) return std::nullopt;
  char buf[32];
  const ssize_t n = read(f.get(), buf, sizeof buf);
  if (n <= 1 || buf[n - 1] != '\n') return std::nullopt;
  pid_t pid = 0;
  auto [end, ec] = std::from_chars(buf, buf + n - 1, pid);
  if (ec != std::errc() || end != buf + n - 1 || pid <= 0) return std::nullopt;
  return pid;
}

void RemovePidFile(const std::string& path, pid_t pid) {
  if (ReadPidFile(path) != pid) return;
  unlink(path.c_str());
}

}  // namespace sftpd

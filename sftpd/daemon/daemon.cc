// RunDaemon: the config loaded, the listener (daemon/listener.h) started
// and run, and a start that fails said why.
#include "sftpd/daemon/daemon.h"

#include <signal.h>
#include <syslog.h>
#include <unistd.h>

#include <utility>
#include <vector>

#include "config/config.h"
#include "sftpd/base/fd.h"
#include "sftpd/base/io.h"
#include "sftpd/base/log_line.h"
#include "sftpd/daemon/lifecycle.h"
#include "sftpd/daemon/listener.h"
#include "sftpd/frontdoor/config_report.h"

namespace sftpd {

namespace {

int Fail(const std::string& why) {
  Say(LOG_ERR, why);
  return 1;
}

}  // namespace

int RunDaemon(const std::string& config_path, bool inetd) {
  // systemd's listening sockets, if it passed any; with Accept=yes it
  // passes the connection itself (not listening) there, which --inetd
  // serves from stdin instead.
  Result<std::vector<Fd>> passed = TakeListenFds();
  std::vector<int> keep;
  if (passed) {
    for (const Fd& fd : *passed) keep.push_back(fd.get());
  }
  // Nothing else the starting shell or service manager left open beyond
  // stdio: the connection processes would inherit it.
  CloseFdsExcept(keep);
  // Connected now: sessions inherit the connection and keep using it after
  // the sandbox closes the way to /dev/log.
  openlog("sftpd", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
  ListenerSockets sockets{.passed = {}, .inetd = inetd};
  if (!inetd) {
    if (!passed) return Fail(passed.error());
    sockets.passed = std::move(*passed);
  }
  signal(SIGPIPE, SIG_IGN);
  // Run as another user than root, the daemon serves only that user's own
  // account, with a config of its own; the usual way such a start fails is
  // the root's config, so a failure says so.
  const uid_t uid = geteuid();
  const std::string non_root =
      uid == 0 ? ""
               : "; sftpd serve must run as root to serve other users (run "
                 "as uid " +
                     std::to_string(uid) +
                     " it serves only that account, with a config of its own "
                     "whose host_keys, [audit] log, control_socket and "
                     "listen ports that account can use: sftpd(8), "
                     "serve)";
  LoadResult loaded = LoadConfig(config_path);
  if (!loaded.config) {
    for (const ConfigError& e : loaded.errors) Say(LOG_ERR, e.ToString());
    return Fail("configuration " + config_path + " has errors" + non_root);
  }
  for (const std::string& w : EntryWarnings(*loaded.config)) {
    Say(LOG_WARNING, "warning: " + w);
  }
  Listener listener(config_path, std::move(*loaded.config),
                    std::move(sockets));
  if (Result<void> started = listener.Start(); !started) {
    return Fail(started.error() + non_root);
  }
  if (uid != 0) {
    Say(LOG_NOTICE, "running as uid " + std::to_string(uid) +
                        ", not root: serving only this account");
  }
  return listener.Run();
}

}  // namespace sftpd

// The interface of the daemon module, sftpd-daemon.so (cli/daemon_loader.h
// loads it): its one exported function, RunDaemon(config_path, inetd).
#ifndef SFTPD_SFTPD_DAEMON_MODULE_H_
#define SFTPD_SFTPD_DAEMON_MODULE_H_

namespace sftpd {

inline constexpr const char* kDaemonEntryName = "sftpd_run_daemon";
using DaemonEntry = int (*)(const char* config_path, int inetd);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_DAEMON_MODULE_H_

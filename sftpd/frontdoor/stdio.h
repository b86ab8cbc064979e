// The --stdio front door: one SFTP session on stdin/stdout as the calling
// user, for OpenSSH's ForceCommand or Subsystem. It decides who may be
// served (config entry, allow_from), then takes the session path
// (session_path.h: confinement, login, the pump over fds 0 and 1, logout).
#ifndef SFTPD_SFTPD_FRONTDOOR_STDIO_H_
#define SFTPD_SFTPD_FRONTDOOR_STDIO_H_

#include <string>

namespace sftpd {

// Serves one session; returns the process exit status: 0 after a clean EOF,
// 1 when the user is refused or the session ends on broken framing. Every
// refusal is written to stderr and syslog before anything is touched.
int ServeStdio(const std::string& config_path);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_FRONTDOOR_STDIO_H_

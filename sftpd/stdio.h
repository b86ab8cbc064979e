// The --stdio front door: one SFTP session on stdin/stdout as the calling
// user, for OpenSSH's ForceCommand or Subsystem. It decides who may be
// served (config entry, allow_from), confines the process (no_new_privs,
// Landlock), then feeds the Session from fd 0 and writes its replies to fd 1.
#ifndef SFTPD_SFTPD_STDIO_H_
#define SFTPD_SFTPD_STDIO_H_

#include <optional>
#include <string>

#include "config/config.h"
#include "sftpd/session.h"

namespace sftpd {

// Serves one session; returns the process exit status: 0 after a clean EOF,
// 1 when the user is refused or the session ends on broken framing. Every
// refusal is written to stderr and syslog before anything is touched.
int ServeStdio(const std::string& config_path);

// Runs `session` over the two fds until EOF or broken framing. Returns
// nullopt after a clean EOF, otherwise why the session ended (broken framing,
// EOF mid-packet, an I/O error). Separate from ServeStdio so tests can drive
// it over a socketpair.
std::optional<std::string> PumpSession(Session& session, int in_fd, int out_fd);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_STDIO_H_

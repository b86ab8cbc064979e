// The sshd_config snippet that routes the config's users to `sftpd --stdio`
// (Match blocks with ForceCommand and no forwarding, tty or X11) and refuses
// them from addresses outside their allow_from. A pure function of its
// arguments; the output is meant to be appended to sshd_config.
#ifndef SFTPD_POLICY_SSHD_H_
#define SFTPD_POLICY_SSHD_H_

#include <span>
#include <string>
#include <vector>

#include "config/config.h"
#include "policy/account.h"

namespace sftpd::policy {

struct SshdTarget {
  std::string sftpd_path;   // absolute path of the sftpd binary
  std::string config_path;  // passed as --config unless the default
  // sshd's PAM stack reads ~/.pam_environment (PamReadsUserEnvironment).
  bool pam_user_env = false;
};

// The snippet. `error` is set when it cannot be written safely (a path the
// shell or sshd would read differently, a name that would widen a pattern);
// `text` then refuses every user and group of the config instead (fail
// closed, even when written to sshd_config.d unread), and the caller should
// report the error and fail. `warnings` are AccountWarnings' lines (a login
// shell that may run files the user can write, ...); each is also a comment
// above the user's blocks, and the text is still right to use.
struct SshdBlocks {
  std::string text;
  std::string error;
  std::vector<std::string> warnings;
};

// REQUIRES: config as LoadConfig returns it (names checked).
SshdBlocks SshdMatchBlocks(const Config& config,
                           std::span<const Account> accounts,
                           const SshdTarget& target);

}  // namespace sftpd::policy

#endif  // SFTPD_POLICY_SSHD_H_

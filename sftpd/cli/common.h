// What the subcommands of the command line share: their arguments, and
// the helpers more than one of them uses. Each subcommand returns the
// process's exit status (0, 1 for a failure, 2 for a usage error) and
// writes to stdout and stderr. Not thread-safe (stdio, getpwnam).
#ifndef SFTPD_SFTPD_CLI_COMMON_H_
#define SFTPD_SFTPD_CLI_COMMON_H_

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "policy/account.h"

namespace sftpd {

struct Args {
  std::string config = kDefaultConfigPath;
  std::vector<std::string_view> rest;  // anything else, for the command
};

// The path of this binary, symlinks resolved; an empty string (and a line on
// stderr) if the system cannot tell.
std::string ThisBinary();

// Each error on stderr, one line each (file:line:col: key: reason).
void PrintConfigErrors(const std::vector<ConfigError>& errors);

// The accounts the config names, as the system knows them now (groups
// expanded). With `say_missing`, a line on stderr for each name the system
// does not know.
std::vector<policy::Account> Accounts(const Config& config,
                                      const std::string& config_path,
                                      bool say_missing);

// Whether sshd's PAM service reads each user's ~/.pam_environment (see
// policy::PamReadsUserEnvironment); false when there is no such file.
bool SshdPamReadsUserEnvironment();

// The subcommands (check_config.cc, policy_command.cc, audit_command.cc,
// control_client.cc).
int CheckConfig(const Args& args);
int Policy(const Args& args);
int Audit(const Args& args);
int Sessions(const Args& args);
int KickCommand(const Args& args);
int StatusCommand(const Args& args);
int ReloadCommand(const Args& args);
int BansCommand(const Args& args);
int UnbanCommand(const Args& args);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_CLI_COMMON_H_

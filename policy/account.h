// Accounts: the Unix users a config grants something to, as the system
// described them when a policy was generated. The generators take them as
// plain values, so they stay pure functions (and golden-file testable); the
// command line looks them up (sftpd/frontdoor/identity.h). Plain data.
#ifndef SFTPD_POLICY_ACCOUNT_H_
#define SFTPD_POLICY_ACCOUNT_H_

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace sftpd::policy {

struct Account {
  std::string name;
  std::string home;
  std::vector<std::string> groups;  // names, primary included
  // The login shell, through which sshd runs every command (ForceCommand,
  // Subsystem); "" is /bin/sh to sshd.
  std::string shell = "";
};

// One account the config grants something, with its rights (from any
// address; rights.table_names says which entries gave them).
struct Grantee {
  const Account* account;
  Rights rights;
};

// The accounts RightsFor finds, sorted by name, duplicates dropped.
std::vector<Grantee> Grantees(const Config& config,
                              std::span<const Account> accounts);

// Whether login shell `shell` is sftpd (named so, in any directory).
bool IsSftpdShell(std::string_view shell);

// Whether sshd, running a command through login shell `shell`, runs no
// file the user could write: the shell is sftpd itself (`sftpd -c` never
// runs a shell), or one that refuses every login (nologin, false). Any
// other shell may read startup files from the user's home (bash reads
// ~/.bashrc when sshd runs it, zsh ~/.zshenv always).
bool ShellReadsNoUserFiles(std::string_view shell);

// A grantee whose login shell may read startup files the user can write:
// a read-write export's host path, expanded for the user, is the user's
// home or a directory above it.
struct ShellExposure {
  const Account* account;
  const Export* via;      // the first such export the user has
  std::string host_path;  // its path expanded for the user
};

// The grantees of `accounts` (as Grantees finds them), by name, who can
// write their home (or a directory above it) through a read-write export,
// whatever their shell.
std::vector<ShellExposure> WritableHomes(const Config& config,
                                         std::span<const Account> accounts);

// Those of WritableHomes whose login shell may read startup files.
std::vector<ShellExposure> ExposedShells(const Config& config,
                                         std::span<const Account> accounts);

// Whether the text of a PAM service file (/etc/pam.d/sshd) has pam_env read
// each user's ~/.pam_environment: an active line with pam_env.so and
// user_readenv=1, as Debian's sshd file has. What a user writes there is in
// the environment sshd gives the forced command (LD_PRELOAD included).
bool PamReadsUserEnvironment(std::string_view pam_text);

// One line for the admin, saying what is exposed and how to close it with
// `sftpd_path` as the login shell.
std::string ExposureWarning(const ShellExposure& exposure,
                            std::string_view sftpd_path);

// What an admin should know about one grantee's account.
struct AccountWarning {
  const Account* account;
  std::string text;
};

// Every grantee's warning, by name: an exposed login shell (ExposedShells,
// ExposureWarning), sftpd as the login shell while the config was read
// from `config_path` rather than the default, which `sftpd -c` serves from
// whatever ForceCommand says, and, with `pam_user_env` (sshd's PAM reads
// ~/.pam_environment), a home the user can write (WritableHomes).
std::vector<AccountWarning> AccountWarnings(const Config& config,
                                            std::span<const Account> accounts,
                                            std::string_view config_path,
                                            std::string_view sftpd_path,
                                            bool pam_user_env = false);

}  // namespace sftpd::policy

#endif  // SFTPD_POLICY_ACCOUNT_H_

// The AppArmor profile for the sftpd binary: what the listener and the
// --stdio front door need before a session starts, and one hat per user the
// config grants anything, holding only that user's exports (owner rules for
// owner_only trees). A pure function of its arguments.
#ifndef SFTPD_POLICY_APPARMOR_H_
#define SFTPD_POLICY_APPARMOR_H_

#include <span>
#include <string>

#include "config/config.h"
#include "policy/account.h"

namespace sftpd::policy {

// `config_path` is the file the profile lets sftpd read. Users whose
// exports do not expand (see ExpandPath) get no hat, and a comment says why:
// sftpd refuses them anyway.
std::string AppArmorProfile(const Config& config,
                            std::span<const Account> accounts,
                            const std::string& config_path);

}  // namespace sftpd::policy

#endif  // SFTPD_POLICY_APPARMOR_H_

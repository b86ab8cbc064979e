// Accounts: the Unix users a config grants something to, as the system
// described them when a policy was generated. The generators take them as
// plain values, so they stay pure functions (and golden-file testable); the
// command line looks them up (sftpd/identity.h). Plain data.
#ifndef SFTPD_POLICY_ACCOUNT_H_
#define SFTPD_POLICY_ACCOUNT_H_

#include <span>
#include <string>
#include <vector>

#include "config/config.h"

namespace sftpd::policy {

struct Account {
  std::string name;
  std::string home;
  std::vector<std::string> groups;  // names, primary included
};

// One account the config grants something, with its rights and which
// entries gave them ("users.alice", "groups.staff"), in config order.
struct Grantee {
  const Account* account;
  Rights rights;
  std::vector<std::string> via;
};

// The accounts RightsFor finds, sorted by name, duplicates dropped.
std::vector<Grantee> Grantees(const Config& config,
                              std::span<const Account> accounts);

}  // namespace sftpd::policy

#endif  // SFTPD_POLICY_ACCOUNT_H_

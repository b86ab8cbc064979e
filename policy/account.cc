// Grantees(): which accounts a config grants anything.
#include "policy/account.h"

#include <algorithm>

namespace sftpd::policy {

std::vector<Grantee> Grantees(const Config& config,
                              std::span<const Account> accounts) {
  std::vector<Grantee> out;
  for (const Account& a : accounts) {
    Rights rights = RightsFor(config, a.name, a.groups);
    if (!rights.found) continue;
    Grantee g{&a, std::move(rights), {}};
    for (const Grant& u : config.users) {
      if (u.name == a.name) g.via.push_back("users." + u.name);
    }
    for (const Grant& grp : config.groups) {
      if (std::find(a.groups.begin(), a.groups.end(), grp.name) !=
          a.groups.end()) {
        g.via.push_back("groups." + grp.name);
      }
    }
    out.push_back(std::move(g));
  }
  std::sort(out.begin(), out.end(), [](const Grantee& x, const Grantee& y) {
    return x.account->name < y.account->name;
  });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Grantee& x, const Grantee& y) {
                          return x.account->name == y.account->name;
                        }),
            out.end());
  return out;
}

}  // namespace sftpd::policy

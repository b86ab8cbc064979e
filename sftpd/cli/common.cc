#include "sftpd/cli/common.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "sftpd/frontdoor/identity.h"

namespace sftpd {

std::string ThisBinary() {
  std::error_code ec;
  std::filesystem::path self =
      std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    fprintf(stderr, "sftpd: cannot tell where this binary is: %s\n",
            ec.message().c_str());
    return "";
  }
  return self.string();
}

void PrintConfigErrors(const std::vector<ConfigError>& errors) {
  for (const ConfigError& e : errors) {
    fprintf(stderr, "%s\n", e.ToString().c_str());
  }
}

std::vector<policy::Account> Accounts(const Config& config,
                                      const std::string& config_path,
                                      bool say_missing) {
  std::vector<std::string> users, groups;
  for (const Grant& g : config.users) users.push_back(g.name);
  for (const Grant& g : config.groups) groups.push_back(g.name);
  NamedUsers named = LookUpNamedUsers(users, groups);
  for (const std::string& m : named.missing) {
    if (say_missing) {
      fprintf(stderr,
              "sftpd: %s: %s is not on this system now; print this again "
              "once it is\n",
              config_path.c_str(), m.c_str());
    }
  }
  std::vector<policy::Account> accounts;
  for (UserInfo& u : named.users) {
    accounts.push_back(
        {u.name, u.home, std::move(u.groups), std::move(u.shell)});
  }
  return accounts;
}

bool SshdPamReadsUserEnvironment() {
  std::ifstream in("/etc/pam.d/sshd");
  if (!in) return false;
  std::stringstream text;
  text << in.rdbuf();
  return policy::PamReadsUserEnvironment(text.str());
}

}  // namespace sftpd

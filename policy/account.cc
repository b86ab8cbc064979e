// Grantees(): which accounts a config grants anything; ExposedShells():
// which of them a login shell would expose.
#include "policy/account.h"

#include <algorithm>
#include <filesystem>

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

namespace {

// Whether directory `dir` is `path` or holds it, comparing the paths'
// components as written (both absolute).
bool IsAtOrAbove(const std::string& dir, const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path d = fs::path(dir).lexically_normal();
  const fs::path p = fs::path(path).lexically_normal();
  if (!d.is_absolute() || !p.is_absolute()) return false;
  auto di = d.begin(), pi = p.begin();
  for (; di != d.end() && !di->empty(); ++di, ++pi) {
    if (pi == p.end() || *di != *pi) return false;
  }
  return true;
}

}  // namespace

bool IsSftpdShell(std::string_view shell) {
  return shell.substr(shell.rfind('/') + 1) == "sftpd";
}

bool ShellReadsNoUserFiles(std::string_view shell) {
  const std::string_view name = shell.substr(shell.rfind('/') + 1);
  return IsSftpdShell(shell) || name == "nologin" || name == "false";
}

std::vector<ShellExposure> ExposedShells(const Config& config,
                                         std::span<const Account> accounts) {
  std::vector<ShellExposure> out;
  for (const Grantee& g : Grantees(config, accounts)) {
    const Account& a = *g.account;
    if (ShellReadsNoUserFiles(a.shell) || a.home.empty()) continue;
    for (const Export* e : g.rights.exports) {
      if (e->access != Access::kReadWrite) continue;
      std::optional<std::string> path = ExpandPath(e->path, a.name, a.home);
      if (path && IsAtOrAbove(*path, a.home)) {
        out.push_back({&a, e, std::move(*path)});
        break;
      }
    }
  }
  return out;
}

std::string ExposureWarning(const ShellExposure& exposure,
                            std::string_view sftpd_path) {
  const Account& a = *exposure.account;
  const std::string shell = a.shell.empty() ? "/bin/sh" : a.shell;
  return "user " + a.name + ": login shell " + shell +
         " may read startup files (~/.bashrc, ~/.zshenv, ...) that " + a.name +
         " can write through read-write export " + exposure.via->name + " (" +
         exposure.host_path +
         "), and sshd runs every session through it, unconfined; make "
         "sftpd the login shell: usermod -s " +
         std::string(sftpd_path) + " " + a.name;
}

std::vector<AccountWarning> AccountWarnings(const Config& config,
                                            std::span<const Account> accounts,
                                            std::string_view config_path,
                                            std::string_view sftpd_path) {
  std::vector<AccountWarning> out;
  for (const ShellExposure& x : ExposedShells(config, accounts)) {
    out.push_back({x.account, ExposureWarning(x, sftpd_path)});
  }
  if (config_path != kDefaultConfigPath) {
    for (const Grantee& g : Grantees(config, accounts)) {
      if (!IsSftpdShell(g.account->shell)) continue;
      out.push_back(
          {g.account,
           "user " + g.account->name + ": login shell " + g.account->shell +
               " serves every session with " + kDefaultConfigPath + ", not " +
               std::string(config_path) + " (sftpd -c takes no --config)"});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const AccountWarning& x, const AccountWarning& y) {
              return x.account->name < y.account->name;
            });
  return out;
}

}  // namespace sftpd::policy

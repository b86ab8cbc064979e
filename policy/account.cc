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
    out.push_back({&a, std::move(rights)});
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

std::vector<ShellExposure> WritableHomes(const Config& config,
                                         std::span<const Account> accounts) {
  std::vector<ShellExposure> out;
  for (const Grantee& g : Grantees(config, accounts)) {
    const Account& a = *g.account;
    if (a.home.empty()) continue;
    for (const Export* e : g.rights.exports) {
      if (e->access != Access::kReadWrite) continue;
      Result<std::string> path = ExpandPath(e->path, a.name, a.home);
      if (path && IsAtOrAbove(*path, a.home)) {
        out.push_back({&a, e, std::move(*path)});
        break;
      }
    }
  }
  return out;
}

std::vector<ShellExposure> ExposedShells(const Config& config,
                                         std::span<const Account> accounts) {
  std::vector<ShellExposure> out = WritableHomes(config, accounts);
  std::erase_if(out, [](const ShellExposure& x) {
    return ShellReadsNoUserFiles(x.account->shell);
  });
  return out;
}

bool PamReadsUserEnvironment(std::string_view pam_text) {
  size_t start = 0;
  while (start < pam_text.size()) {
    size_t end = pam_text.find('\n', start);
    if (end == std::string_view::npos) end = pam_text.size();
    std::string_view line = pam_text.substr(start, end - start);
    start = end + 1;
    line = line.substr(0, line.find('#'));
    bool env = false, readenv = false;
    size_t i = 0;
    while (i < line.size()) {
      size_t j = line.find_first_of(" \t", i);
      if (j == std::string_view::npos) j = line.size();
      std::string_view word = line.substr(i, j - i);
      if (word.size() >= 10 && word.substr(word.size() - 10) == "pam_env.so") {
        env = true;
      }
      if (word == "user_readenv=1") readenv = true;
      i = j + 1;
    }
    if (env && readenv) return true;
  }
  return false;
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
                                            std::string_view sftpd_path,
                                            bool pam_user_env) {
  std::vector<AccountWarning> out;
  if (pam_user_env) {
    for (const ShellExposure& x : WritableHomes(config, accounts)) {
      const std::string& name = x.account->name;
      out.push_back(
          {x.account,
           "user " + name +
               ": sshd's PAM stack reads ~/.pam_environment "
               "(pam_env.so user_readenv=1), which " +
               name + " can write through read-write export " + x.via->name +
               " (" + x.host_path +
               "), and it can set LD_PRELOAD for sftpd itself; remove "
               "user_readenv=1 from /etc/pam.d/sshd"});
    }
  }
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
  std::stable_sort(out.begin(), out.end(),
                   [](const AccountWarning& x, const AccountWarning& y) {
                     return x.account->name < y.account->name;
                   });
  return out;
}

}  // namespace sftpd::policy

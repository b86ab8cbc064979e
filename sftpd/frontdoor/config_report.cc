#include "sftpd/frontdoor/config_report.h"

#include <fcntl.h>

#include <algorithm>

#include "sftpd/frontdoor/identity.h"
#include "sftpd/vfs/hostpath.h"

namespace sftpd {
namespace {

std::string At(const Config& config, int line, const std::string& key) {
  return config.source + ":" + std::to_string(line) + ": " + key + ": ";
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

std::string Addresses(const Grant& g) {
  if (g.allow_from.empty()) return "any address";
  std::vector<std::string> out;
  for (const Cidr& c : g.allow_from) out.push_back(c.ToString());
  return Join(out);
}

// How a session of `user` finds export `e`'s root: "" when it opens,
// otherwise why not, and whether it is only absent.
struct RootState {
  std::string problem;
  bool absent = false;
};
RootState CheckRoot(const Export& e, const UserInfo& user) {
  Result<std::string> path = ExpandPath(e.path, user.name, user.home);
  if (!path) return {"the path does not expand to a safe absolute path", false};
  Result<HostFile> root = OpenHostPath(*path, O_PATH | O_DIRECTORY);
  if (root) return {};
  return {root.error(), root.error().starts_with("absent: ")};
}

std::string RootConsequence(const RootState& s) {
  return s.absent ? "left out of the user's sessions (the client is told) "
                    "until it exists"
                  : "the user's sessions are refused until it is mended";
}

}  // namespace

std::vector<std::string> EntryWarnings(const Config& config) {
  std::vector<std::string> out;
  std::vector<std::string> users, groups;
  for (const Grant& g : config.users) users.push_back(g.name);
  for (const Grant& g : config.groups) groups.push_back(g.name);
  NamedUsers named = LookUpNamedUsers(users, groups);
  for (const Grant& g : config.users) {
    const std::string key = "users." + g.name;
    if (std::find(named.missing.begin(), named.missing.end(),
                  "user " + g.name) != named.missing.end()) {
      out.push_back(At(config, g.line, key) + "no user " + g.name +
                    " on this system; the entry grants nothing until the "
                    "account exists");
    }
    if (g.name == "root") {
      out.push_back(At(config, g.line, key) +
                    "root may log in: its uid confines nothing and "
                    "owner_only does not hold for it, so only Landlock and "
                    "AppArmor stand between it and every file");
    }
  }
  for (const Grant& g : config.groups) {
    if (std::find(named.missing.begin(), named.missing.end(),
                  "group " + g.name) != named.missing.end()) {
      out.push_back(At(config, g.line, "groups." + g.name) + "no group " +
                    g.name + " on this system; the entry grants nothing");
    }
  }
  for (const UserInfo& u : named.users) {
    const Rights rights = RightsFor(config, u.name, u.groups);
    for (const Export* e : rights.exports) {
      const RootState s = CheckRoot(*e, u);
      if (s.problem.empty()) continue;
      out.push_back(At(config, e->line, "exports." + e->name) + "for user " +
                    u.name + ": " + s.problem + "; " + RootConsequence(s));
    }
  }
  return out;
}

UserReport DescribeUser(const Config& config, std::string_view name,
                        const std::optional<Address>& from) {
  Result<UserInfo> user = LookUpUser(name);
  if (!user) return {"user " + std::string(name) + ": " + user.error() + "\n"};
  std::string head = "user " + user->name + " (uid " +
                     std::to_string(user->uid) + "; groups " +
                     Join(user->groups) + ")";
  if (from) head += " from " + from->ToString();
  const Rights rights = from
                            ? RightsFor(config, user->name, user->groups, *from)
                            : RightsFor(config, user->name, user->groups);
  if (!rights.found) {
    return {head +
            ": refused: no [users] or [groups] entry names the user "
            "or one of its groups\n"};
  }
  if (from && !rights.Allows(*from)) {
    std::string text = head + ": refused: no entry admits the address\n";
    for (size_t i = 0; i < rights.tables.size(); ++i) {
      text += "  " + rights.table_names[i] + " admits " +
              Addresses(*rights.tables[i]) + "\n";
    }
    return {text};
  }
  UserReport report;
  std::string lines;
  size_t usable = 0;
  bool broken = false;  // a root that is there but cannot be used
  for (size_t i = 0; i < rights.exports.size(); ++i) {
    const Export& e = *rights.exports[i];
    Result<std::string> path = ExpandPath(e.path, user->name, user->home);
    lines += "  " + e.name + " -> " + (path ? *path : e.path) + " (" +
             (e.access == Access::kReadOnly ? "ro" : "rw") +
             (e.owner_only ? ", owner_only" : "") + ")";
    // Which tables grant it: all of them, with their addresses, or (from
    // one address) the first that does.
    if (from) {
      lines += " by " + rights.granted_by[i];
    } else {
      std::vector<std::string> by;
      for (size_t t = 0; t < rights.tables.size(); ++t) {
        const std::vector<std::string>& names = rights.tables[t]->exports;
        if (std::find(names.begin(), names.end(), e.name) != names.end()) {
          by.push_back(rights.table_names[t] + " from " +
                       Addresses(*rights.tables[t]));
        }
      }
      lines += " by " + Join(by);
    }
    const RootState s = CheckRoot(e, *user);
    if (s.problem.empty()) {
      ++usable;
    } else {
      broken = broken || !s.absent;
      lines += "\n    NOT AVAILABLE: " + s.problem + "; " + RootConsequence(s);
    }
    lines += "\n";
  }
  report.served = usable > 0 && !broken;
  report.text = head + ": " + std::to_string(rights.exports.size()) +
                (rights.exports.size() == 1 ? " export" : " exports") +
                (report.served ? "" : ", none available: refused") + "\n" +
                lines;
  return report;
}

}  // namespace sftpd

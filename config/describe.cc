// What `sftpd check-config` prints of a good config, and the list of keys.
#include "config/parser.h"

namespace sftpd {

using config_internal::kAuditKeys;
using config_internal::kAuthKeys;
using config_internal::kDefenderKeys;
using config_internal::kExportKeys;
using config_internal::kGrantKeys;
using config_internal::kPolicyKeys;
using config_internal::kServerKeys;

std::vector<std::string> ConfigKeys() {
  std::vector<std::string> out;
  auto add = [&out](std::string_view table, const auto& keys) {
    for (std::string_view k : keys) {
      out.push_back(std::string(table) + "." + std::string(k));
    }
  };
  add("server", kServerKeys);
  add("auth", kAuthKeys);
  add("audit", kAuditKeys);
  add("defender", kDefenderKeys);
  add("policy", kPolicyKeys);
  add("exports.NAME", kExportKeys);
  add("users.NAME", kGrantKeys);
  add("groups.NAME", kGrantKeys);
  return out;
}

std::string Describe(const Config& config) {
  auto count = [](size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  auto list = [](const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
  };
  auto grants = [&](const std::vector<Grant>& gs) {
    std::string out;
    for (const Grant& g : gs) {
      std::vector<std::string> from;
      for (const Cidr& c : g.allow_from) from.push_back(c.ToString());
      out += "  " + g.name + ": " + list(g.exports) + "; from " +
             (from.empty() ? "any address" : list(from)) + "\n";
    }
    return out;
  };
  std::string out = config.source + ": " +
                    count(config.exports.size(), "export", "exports") + ", " +
                    count(config.users.size(), "user", "users") + ", " +
                    count(config.groups.size(), "group", "groups") + "\n";
  if (!config.exports.empty()) out += "exports:\n";
  for (const Export& e : config.exports) {
    out += "  " + e.name + " -> " + e.path + " (" +
           (e.access == Access::kReadOnly ? "ro" : "rw") +
           (e.owner_only ? ", owner_only" : "") +
           (e.atomic_uploads ? ", atomic_uploads" : "") + ", umask " +
           OctalMode(e.umask).substr(1) + ")\n";
  }
  if (!config.users.empty()) out += "users:\n" + grants(config.users);
  if (!config.groups.empty()) out += "groups:\n" + grants(config.groups);
  if (!config.server.proxy_from.empty()) {
    std::vector<std::string> from;
    for (const Cidr& c : config.server.proxy_from) from.push_back(c.ToString());
    out += "balancers (PROXY header): " + list(from) + "\n";
  }
  const DefenderSection& d = config.defender;
  if (d.enabled) {
    std::vector<std::string> never;
    for (const Cidr& c : d.never_ban) never.push_back(c.ToString());
    out += "defender: ban for " + std::to_string(d.ban_time) + " s at " +
           std::to_string(d.threshold) + " points; IPv6 by /" +
           std::to_string(d.ipv6_prefix) +
           (d.ipv6_wide_networks > 0 && d.ipv6_wide_prefix < d.ipv6_prefix
                ? ", its /" + std::to_string(d.ipv6_wide_prefix) + " at " +
                      std::to_string(d.ipv6_wide_networks) + " networks"
                : std::string()) +
           "; never: " + (never.empty() ? "none" : list(never)) + "\n";
  } else {
    out += "defender: off\n";
  }
  return out;
}

}  // namespace sftpd

// RightsFor: which tables name a user, and what they grant from where.
#include <algorithm>

#include "config/config.h"

namespace sftpd {

bool Rights::Allows(const Address& peer) const {
  if (any_address) return true;
  return std::any_of(allow_from.begin(), allow_from.end(),
                     [&](const Cidr& c) { return c.Contains(peer); });
}

namespace {

bool Admits(const Grant& g, const Address& peer) {
  return g.allow_from.empty() ||
         std::any_of(g.allow_from.begin(), g.allow_from.end(),
                     [&](const Cidr& c) { return c.Contains(peer); });
}

Rights Collect(const Config& config, std::string_view user,
               std::span<const std::string> groups, const Address* from) {
  Rights r;
  auto add = [&](const Grant& g, std::string table) {
    r.found = true;
    r.tables.push_back(&g);
    r.table_names.push_back(table);
    if (g.allow_from.empty()) r.any_address = true;
    for (const Cidr& c : g.allow_from) {
      const bool seen = std::any_of(
          r.allow_from.begin(), r.allow_from.end(), [&](const Cidr& o) {
            return o.prefix == c.prefix && o.base == c.base;
          });
      if (!seen) r.allow_from.push_back(c);
    }
    if (from != nullptr && !Admits(g, *from)) return;
    for (const std::string& name : g.exports) {
      const Export* e = config.FindExport(name);
      if (e != nullptr &&
          std::find(r.exports.begin(), r.exports.end(), e) == r.exports.end()) {
        r.exports.push_back(e);
        r.granted_by.push_back(table);
      }
    }
  };
  for (const Grant& g : config.users) {
    if (g.name == user) add(g, "users." + g.name);
  }
  for (const Grant& g : config.groups) {
    if (std::find(groups.begin(), groups.end(), g.name) != groups.end()) {
      add(g, "groups." + g.name);
    }
  }
  return r;
}

}  // namespace

Rights RightsFor(const Config& config, std::string_view user,
                 std::span<const std::string> groups) {
  return Collect(config, user, groups, nullptr);
}

Rights RightsFor(const Config& config, std::string_view user,
                 std::span<const std::string> groups, const Address& from) {
  return Collect(config, user, groups, &from);
}

}  // namespace sftpd

#include "sftpd/daemon/connection_table.h"

#include <stdlib.h>

#include <algorithm>

namespace sftpd {

ConnectionLimits ConnectionLimits::Of(const ServerSection& server) {
  return {.max_total = size_t(server.max_connections),
          .max_per_address = size_t(server.max_connections_per_address),
          .max_startups = size_t(server.max_startups),
          .max_per_user = size_t(server.max_sessions_per_user),
          .startups_begin = size_t(server.max_startups_begin),
          .startups_rate = unsigned(server.max_startups_rate),
          .max_startups_per_address = size_t(server.max_startups_per_address)};
}

bool DropsStartup(const ConnectionLimits& limits, size_t startups,
                  uint32_t percentile) {
  if (startups >= limits.max_startups) return true;
  if (startups < limits.startups_begin) return false;
  // startups_begin <= startups < max_startups: the span is not empty.
  const size_t span = limits.max_startups - limits.startups_begin;
  const size_t rate = std::min<size_t>(limits.startups_rate, 100);
  const size_t p =
      rate + (100 - rate) * (startups - limits.startups_begin) / span;
  return percentile < p;
}

uint32_t SystemPercentile() { return arc4random_uniform(100); }

ConnectionTable::Admission ConnectionTable::Check(
    const Address& address) const {
  if (children_.size() >= limits_.max_total) return Admission::kTooMany;
  if (CountFrom(address) >= limits_.max_per_address) {
    return Admission::kTooManyFromAddress;
  }
  if (CountStartupsFrom(address) >= limits_.max_startups_per_address) {
    return Admission::kTooManyStartupsFromAddress;
  }
  const size_t startups = CountStartups();
  if (startups >= limits_.max_startups) return Admission::kTooManyStartups;
  if (startups >= limits_.startups_begin &&
      DropsStartup(limits_, startups, draw_())) {
    return Admission::kStartupDropped;
  }
  return Admission::kAdmit;
}

void ConnectionTable::Add(pid_t pid, const Address& address) {
  children_.emplace(pid, Child{address, ""});
}

bool ConnectionTable::Admit(pid_t pid, const std::string& user) {
  auto it = children_.find(pid);
  if (it == children_.end() || !it->second.user.empty() || user.empty() ||
      CountUser(user) >= limits_.max_per_user) {
    return false;
  }
  it->second.user = user;
  return true;
}

bool ConnectionTable::Forget(pid_t pid) { return children_.erase(pid) > 0; }

size_t ConnectionTable::CountFrom(const Address& address) const {
  size_t n = 0;
  for (const auto& [pid, c] : children_) n += c.address == address ? 1 : 0;
  return n;
}

size_t ConnectionTable::CountUser(const std::string& user) const {
  size_t n = 0;
  for (const auto& [pid, c] : children_) n += c.user == user ? 1 : 0;
  return n;
}

size_t ConnectionTable::CountStartups() const { return CountUser(""); }

size_t ConnectionTable::CountStartupsFrom(const Address& address) const {
  size_t n = 0;
  for (const auto& [pid, c] : children_) {
    n += c.user.empty() && c.address == address ? 1 : 0;
  }
  return n;
}

std::vector<pid_t> ConnectionTable::Pids() const {
  std::vector<pid_t> pids;
  for (const auto& [pid, a] : children_) pids.push_back(pid);
  return pids;
}

}  // namespace sftpd

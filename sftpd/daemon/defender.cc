#include "sftpd/daemon/defender.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace sftpd {

std::string_view OffenceName(Offence offence) {
  switch (offence) {
    case Offence::kFailedLogin:
      return "failed login";
    case Offence::kInvalidUser:
      return "invalid user";
    case Offence::kNotAllowed:
      return "address not in any allow_from";
    case Offence::kUserNotAllowed:
      return "user not allowed from the address";
    case Offence::kNoAuth:
      return "no login attempt";
    case Offence::kOverLimit:
      return "over a connection limit";
  }
  return "offence";
}

std::optional<Offence> OffenceOfLoginRule(std::string_view rule) {
  if (rule == "authentication") return Offence::kFailedLogin;
  // An existing user refused by her own allow_from: not an invalid user.
  if (rule == "allow_from") return Offence::kUserNotAllowed;
  // Refusals of the claimed name itself (daemon/authenticate.cc's Decide),
  // and a second name claimed on one connection, refused unseen.
  for (std::string_view r : {"unknown user", "no entry", "root",
                             "own account only", "user name changed"}) {
    if (rule == r) return Offence::kInvalidUser;
  }
  return std::nullopt;
}

void Defender::set_settings(DefenderSection settings) {
  settings_ = std::move(settings);
  if (!settings_.enabled) entries_.clear();
}

Defender::Key Defender::KeyOf(const Address& address) {
  Key key = address.bytes;
  if (!address.IsV4()) std::fill(key.begin() + 8, key.end(), uint8_t{0});
  return key;
}

bool Defender::NeverBan(const Address& address) const {
  return std::any_of(settings_.never_ban.begin(), settings_.never_ban.end(),
                     [&](const Cidr& c) { return c.Contains(address); });
}

int Defender::Points(Offence offence) const {
  switch (offence) {
    case Offence::kFailedLogin:
      return settings_.score_failed_login;
    case Offence::kInvalidUser:
    case Offence::kNotAllowed:
    case Offence::kUserNotAllowed:
      return settings_.score_invalid_user;
    case Offence::kNoAuth:
      return settings_.score_no_auth;
    case Offence::kOverLimit:
      return settings_.score_over_limit;
  }
  return 0;
}

void Defender::Drain(Entry& e, Clock::time_point now) const {
  if (e.score == 0 || now <= e.drained) {
    if (e.score == 0) e.drained = now;
    return;
  }
  const std::chrono::duration<double> interval =
      std::chrono::duration<double>(settings_.observation_time) /
      double(settings_.threshold);
  const double leaked = std::floor((now - e.drained) / interval);
  if (leaked >= double(e.score)) {
    e.score = 0;
    e.drained = now;
    return;
  }
  e.score -= int(leaked);
  e.drained += std::chrono::duration_cast<Clock::duration>(interval * leaked);
}

std::optional<Defender::Clock::time_point> Defender::BannedUntil(
    const Address& address, Clock::time_point now) const {
  if (!settings_.enabled || NeverBan(address)) return std::nullopt;
  auto it = entries_.find(KeyOf(address));
  if (it == entries_.end() || it->second.banned_until <= now) {
    return std::nullopt;
  }
  return it->second.banned_until;
}

std::optional<int> Defender::Add(const Address& address, Offence offence,
                                 Clock::time_point now) {
  const int points = Points(offence);
  if (!settings_.enabled || points == 0 || NeverBan(address)) {
    return std::nullopt;
  }
  const Key key = KeyOf(address);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= kMaxTracked) Evict(now);
    it = entries_.emplace(key, Entry{.drained = now}).first;
  }
  Entry& e = it->second;
  if (e.banned_until > now) return std::nullopt;  // a ban is not lengthened
  Drain(e, now);
  e.score = std::min(e.score + points, settings_.threshold);
  if (e.score < settings_.threshold) return std::nullopt;
  e = Entry{.drained = now,
            .banned_until = now + std::chrono::seconds(settings_.ban_time),
            .ban_score = e.score};
  return e.ban_score;
}

std::vector<Defender::Ban> Defender::Bans(Clock::time_point now) const {
  std::vector<Ban> bans;
  if (!settings_.enabled) return bans;
  for (const auto& [key, e] : entries_) {
    if (e.banned_until <= now) continue;
    Address a{.bytes = key};
    if (NeverBan(a)) continue;  // added to never_ban since: not enforced
    bans.push_back({.address = a.IsV4() ? a.ToString() : a.ToString() + "/64",
                    .score = e.ban_score,
                    .until = e.banned_until});
  }
  std::sort(bans.begin(), bans.end(), [](const Ban& x, const Ban& y) {
    return x.until != y.until ? x.until < y.until : x.address < y.address;
  });
  return bans;
}

bool Defender::Unban(const Address& address, Clock::time_point now) {
  if (!BannedUntil(address, now)) return false;
  entries_.erase(KeyOf(address));
  return true;
}

void Defender::Evict(Clock::time_point now) {
  std::erase_if(entries_, [&](const auto& kv) {
    Entry drained = kv.second;
    Drain(drained, now);
    return drained.banned_until <= now && drained.score == 0;
  });
  if (entries_.size() < kMaxTracked) return;
  // Still full: forget the unbanned address seen longest ago, else the ban
  // that ends first.
  auto victim = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    const bool banned = it->second.banned_until > now;
    if (victim == entries_.end()) {
      victim = it;
      continue;
    }
    const bool victim_banned = victim->second.banned_until > now;
    if (banned != victim_banned) {
      if (!banned) victim = it;
      continue;
    }
    const auto when = [](const Entry& e, bool b) {
      return b ? e.banned_until : e.drained;
    };
    if (when(it->second, banned) < when(victim->second, victim_banned)) {
      victim = it;
    }
  }
  entries_.erase(victim);
}

}  // namespace sftpd

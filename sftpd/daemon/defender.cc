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
    case Offence::kProxyHeader:
      return "PROXY header from an address not in proxy_from";
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
  // A PROXY header key exchange saw (daemon/connection.cc's Handshake).
  if (rule == "proxy_from") return Offence::kProxyHeader;
  // Refusals of the claimed name itself (daemon/authenticate.cc's Decide),
  // and a second name claimed on one connection, refused unseen.
  for (std::string_view r : {"unknown user", "no entry", "root",
                             "own account only", "user name changed"}) {
    if (rule == r) return Offence::kInvalidUser;
  }
  return std::nullopt;
}

size_t Defender::set_settings(DefenderSection settings) {
  const bool prefixes_changed =
      settings.ipv6_prefix != settings_.ipv6_prefix ||
      settings.ipv6_wide_prefix != settings_.ipv6_wide_prefix;
  settings_ = std::move(settings);
  if (!settings_.enabled) {
    entries_.clear();
    v6_ban_lengths_.clear();
    return 0;
  }
  if (!prefixes_changed) return 0;
  // A network banned (at its old length, still looked up) keeps its ban,
  // nothing else; the others go.
  size_t forgotten = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& e = it->second;
    if (IsV4(it->first)) {
      ++it;
    } else if (e.banned_until != Clock::time_point{}) {
      forgotten += e.score > 0 ? 1 : 0;
      e.score = 0;
      e.counted.reset();
      ++it;
    } else {
      ++forgotten;
      it = entries_.erase(it);
    }
  }
  return forgotten;
}

Defender::Net Defender::NetOf(const Address& address, int len) {
  Net net{.bytes = address.bytes, .len = len};
  for (int i = 0; i < 16; ++i) {
    const int keep = std::clamp(len - 8 * i, 0, 8);
    net.bytes[i] &= uint8_t(0xff00 >> keep);
  }
  return net;
}

bool Defender::IsV4(const Net& net) {
  return net.len == 128 && Address{.bytes = net.bytes}.IsV4();
}

std::string Defender::Text(const Net& net) {
  const std::string base = Address{.bytes = net.bytes}.ToString();
  return IsV4(net) ? base : base + "/" + std::to_string(net.len);
}

bool Defender::NeverBan(const Address& address) const {
  return std::any_of(settings_.never_ban.begin(), settings_.never_ban.end(),
                     [&](const Cidr& c) { return c.Contains(address); });
}

bool Defender::NeverBanAll(const Net& net) const {
  return std::any_of(settings_.never_ban.begin(), settings_.never_ban.end(),
                     [&](const Cidr& c) {
                       return c.prefix <= net.len &&
                              c.Contains(Address{.bytes = net.bytes});
                     });
}

int Defender::Points(Offence offence) const {
  switch (offence) {
    case Offence::kFailedLogin:
      return settings_.score_failed_login;
    case Offence::kInvalidUser:
    case Offence::kNotAllowed:
    case Offence::kUserNotAllowed:
    case Offence::kProxyHeader:
      return settings_.score_invalid_user;
    case Offence::kNoAuth:
      return settings_.score_no_auth;
    case Offence::kOverLimit:
      return settings_.score_over_limit;
  }
  return 0;
}

void Defender::Drain(Entry& e, int per, Clock::time_point now) const {
  if (e.score == 0 || now <= e.drained) {
    if (e.score == 0) e.drained = now;
    return;
  }
  const std::chrono::duration<double> interval =
      std::chrono::duration<double>(settings_.observation_time) / double(per);
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
  std::optional<Clock::time_point> until;
  auto check = [&](int len) {
    auto it = entries_.find(NetOf(address, len));
    if (it != entries_.end() && it->second.banned_until > now) {
      until = std::max(until.value_or(now), it->second.banned_until);
    }
  };
  if (address.IsV4()) {
    check(128);
  } else {
    for (int len : v6_ban_lengths_) check(len);
  }
  return until;
}

Defender::Entry& Defender::Track(const Net& net, Clock::time_point now) {
  auto it = entries_.find(net);
  if (it == entries_.end()) {
    if (entries_.size() >= kMaxTracked) Evict(now);
    it = entries_.emplace(net, Entry{.drained = now, .counted = {}}).first;
  }
  return it->second;
}

Defender::Ban Defender::Begin(const Net& net, Entry& e, Clock::time_point now) {
  e = Entry{.drained = now,
            .banned_until = now + std::chrono::seconds(settings_.ban_time),
            .ban_score = e.score,
            .counted = e.counted};
  if (!IsV4(net)) v6_ban_lengths_.insert(net.len);
  return {.address = Text(net),
          .prefix = IsV4(net) ? 32 : net.len,
          .score = e.ban_score,
          .until = e.banned_until};
}

Defender::Began Defender::Add(const Address& address, Offence offence,
                              Clock::time_point now) {
  const int points = Points(offence);
  if (!settings_.enabled || points == 0 || NeverBan(address)) return {};
  const bool v6 = !address.IsV4();
  const Net net = NetOf(address, v6 ? settings_.ipv6_prefix : 128);
  Entry& e = Track(net, now);
  if (e.banned_until > now) return {};  // a ban is not lengthened
  Began began;
  Drain(e, settings_.threshold, now);
  e.score = std::min(e.score + points, settings_.threshold);
  // A network counts once per observation_time in its wide prefix, so one
  // network alone never fills the count, however it paces its offences.
  const bool count_wide =
      v6 && settings_.ipv6_wide_networks > 0 &&
      settings_.ipv6_wide_prefix < settings_.ipv6_prefix &&
      (!e.counted ||
       now - *e.counted >= std::chrono::seconds(settings_.observation_time));
  if (count_wide) e.counted = now;
  if (e.score >= settings_.threshold) began.network = Begin(net, e, now);
  if (!count_wide) return began;
  // `e` may move no more: Track below can evict, so it is not used again.
  const Net wide_net = NetOf(address, settings_.ipv6_wide_prefix);
  Entry& w = Track(wide_net, now);
  if (w.banned_until > now) return began;
  Drain(w, settings_.ipv6_wide_networks, now);
  w.score = std::min(w.score + 1, settings_.ipv6_wide_networks);
  if (w.score >= settings_.ipv6_wide_networks) {
    began.wide = Begin(wide_net, w, now);
  }
  return began;
}

std::vector<Defender::Ban> Defender::Bans(Clock::time_point now) const {
  std::vector<Ban> bans;
  if (!settings_.enabled) return bans;
  for (const auto& [net, e] : entries_) {
    if (e.banned_until <= now) continue;
    if (NeverBanAll(net)) continue;  // added to never_ban since: not enforced
    bans.push_back({.address = Text(net),
                    .prefix = IsV4(net) ? 32 : net.len,
                    .score = e.ban_score,
                    .until = e.banned_until});
  }
  std::sort(bans.begin(), bans.end(), [](const Ban& x, const Ban& y) {
    return x.until != y.until ? x.until < y.until : x.address < y.address;
  });
  return bans;
}

std::vector<Defender::Ban> Defender::Unban(const Cidr& target,
                                           Clock::time_point now) {
  std::vector<Ban> lifted;
  if (!settings_.enabled) return lifted;
  const bool v4 = target.base.IsV4() && target.prefix >= 96;
  std::erase_if(entries_, [&](const auto& kv) {
    const auto& [net, e] = kv;
    if (e.banned_until <= now || IsV4(net) != v4 || NeverBanAll(net)) {
      return false;
    }
    const Address base{.bytes = net.bytes};
    const bool overlaps = net.len >= target.prefix
                              ? target.Contains(base)
                              : NetOf(target.base, net.len) == net;
    if (!overlaps) return false;
    lifted.push_back({.address = Text(net),
                      .prefix = v4 ? 32 : net.len,
                      .score = e.ban_score,
                      .until = e.banned_until});
    return true;
  });
  return lifted;
}

void Defender::Evict(Clock::time_point now) {
  std::erase_if(entries_, [&](const auto& kv) {
    Entry drained = kv.second;
    const bool wide = !IsV4(kv.first) &&
                      kv.first.len == settings_.ipv6_wide_prefix &&
                      settings_.ipv6_wide_prefix < settings_.ipv6_prefix;
    Drain(
        drained,
        wide ? std::max(settings_.ipv6_wide_networks, 1) : settings_.threshold,
        now);
    return drained.banned_until <= now && drained.score == 0;
  });
  if (entries_.size() < kMaxTracked) return;
  // Still full: forget the unbanned network seen longest ago, else the ban
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

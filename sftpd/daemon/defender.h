// The daemon's brute-force defence ([defender] in the config): a score per
// client network (an IPv4 address, an IPv6 ipv6_prefix), a count of the
// networks offending in each IPv6 ipv6_wide_prefix, fed by the listener with
// what each connection did, and the bans they lead to, which the listener
// enforces before key exchange. A plain
// value owned by the listener, so bans outlive a SIGHUP; not thread-safe.
// Time is passed in, so tests need no clock.
#ifndef SFTPD_SFTPD_DAEMON_DEFENDER_H_
#define SFTPD_SFTPD_DAEMON_DEFENDER_H_

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/cidr.h"
#include "config/config.h"

namespace sftpd {

// What a connection did that counts against its address.
enum class Offence {
  kFailedLogin,     // a wrong key or password for a user who may log in
  kInvalidUser,     // a name that may not log in at all, or a second name
                    // claimed on one connection
  kNotAllowed,      // from an address outside every allow_from (scored as an
                    // invalid user: nobody may log in from there)
  kUserNotAllowed,  // a user whose allow_from leaves out the address (scored
                    // as an invalid user: that name may not log in there)
  kProxyHeader,     // a PROXY header from an address not in proxy_from: a
                    // client naming another (scored as an invalid user)
  kNoAuth,          // ended without trying to log in, or ran out of grace time
  kOverLimit,       // dropped over max_connections, max_startups or
               // max_connections_per_address, or over max_sessions_per_user
};

std::string_view OffenceName(Offence offence);

// The offence a refused login's audit rule (as the session reports it) stands
// for; nullopt for rules that are not the client's doing or are counted
// otherwise (max_tries: each failure was counted already).
std::optional<Offence> OffenceOfLoginRule(std::string_view rule);

class Defender {
 public:
  using Clock = std::chrono::steady_clock;
  // Networks tracked at most; past it, the one seen longest ago (not banned,
  // if there is such) is forgotten, so a flood of sources costs bounded memory.
  static constexpr size_t kMaxTracked = 65536;

  explicit Defender(DefenderSection settings)
      : settings_(std::move(settings)) {}

  // New settings (SIGHUP). Scores and bans are kept; a ban ends at the time
  // set when it began. When ipv6_prefix or ipv6_wide_prefix changed, the
  // IPv6 scores (and counts of networks) no longer fit and are forgotten,
  // bans kept; returns how many IPv6 networks were forgotten so. Disabling
  // forgets everything.
  size_t set_settings(DefenderSection settings);
  const DefenderSection& settings() const { return settings_; }

  // When the last ban holding `address` ends (its IPv4 address, or any of
  // the IPv6 prefixes banned, at every prefix length in force); nullopt when
  // none does, or it is in never_ban (checked first), or the defender is off.
  std::optional<Clock::time_point> BannedUntil(const Address& address,
                                               Clock::time_point now) const;

  // A ban in force: what is banned ("192.0.2.7", or an IPv6 prefix as
  // "2001:db8::/64"), its prefix length (32 for IPv4), the score that began
  // it (for a wide prefix: the networks counted in it) and when it ends.
  struct Ban {
    std::string address;
    int prefix = 0;
    int score = 0;
    Clock::time_point until{};
  };

  // The bans one offence began: its network's (IPv4 address or IPv6
  // ipv6_prefix), and that of the ipv6_wide_prefix holding it.
  struct Began {
    std::optional<Ban> network;
    std::optional<Ban> wide;
    explicit operator bool() const { return network || wide; }
  };

  // Adds the offence's points to the score of the network of `address`.
  // An IPv6 network that begins to offend (again, after observation_time)
  // also adds one to the count of its wide prefix, which drains by
  // ipv6_wide_networks per observation_time; at ipv6_wide_networks the wide
  // prefix is banned. Returns the bans this offence began.
  Began Add(const Address& address, Offence offence, Clock::time_point now);

  size_t tracked() const { return entries_.size(); }

  // The bans in force at `now`, soonest to end first (none when disabled).
  std::vector<Ban> Bans(Clock::time_point now) const;

  // Lifts every ban in force that overlaps `target` (an address: the bans
  // holding it; a CIDR block: those inside it and those holding it), of
  // the target's address family, and forgets their scores. Returns what it
  // lifted; empty when nothing was banned there at `now`.
  std::vector<Ban> Unban(const Cidr& target, Clock::time_point now);

 private:
  // A tracked network: an IPv4 address (as ::ffff:a.b.c.d/128), or an IPv6
  // prefix, host bits cleared.
  struct Net {
    std::array<uint8_t, 16> bytes{};
    int len = 128;
    auto operator<=>(const Net&) const = default;
  };
  struct Entry {
    int score = 0;                     // a wide prefix: networks counted
    Clock::time_point drained{};       // the score is drained up to here
    Clock::time_point banned_until{};  // in the past: not banned
    int ban_score = 0;                 // the score that began the ban
    // An IPv6 network: when it was last counted in its wide prefix.
    std::optional<Clock::time_point> counted;
  };
  static Net NetOf(const Address& address, int len);
  static bool IsV4(const Net& net);
  static std::string Text(const Net& net);
  bool NeverBan(const Address& address) const;
  // True when never_ban holds all of `net`: its ban is not enforced.
  bool NeverBanAll(const Net& net) const;
  int Points(Offence offence) const;
  // Drains e's score up to `now`: one point per observation_time / per,
  // whole points only, so the points of a burst count in full.
  void Drain(Entry& e, int per, Clock::time_point now) const;
  // The entry of `net`, made (room made first) when there is none.
  Entry& Track(const Net& net, Clock::time_point now);
  Ban Begin(const Net& net, Entry& e, Clock::time_point now);
  // Makes room for one more entry.
  void Evict(Clock::time_point now);

  DefenderSection settings_;
  std::map<Net, Entry> entries_;
  // The IPv6 prefix lengths a ban has been made at (a reload may change
  // them while the bans last), so BannedUntil looks up each.
  std::set<int> v6_ban_lengths_;
};

}  // namespace sftpd

#endif  // SFTPD_SFTPD_DAEMON_DEFENDER_H_

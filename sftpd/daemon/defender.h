// The daemon's brute-force defence ([defender] in the config): a score per
// client address, fed by the listener with what each connection did, and the
// bans it leads to, which the listener enforces before key exchange. A plain
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
  // Addresses tracked at most; past it, the one seen longest ago (not banned,
  // if there is such) is forgotten, so a flood of sources costs bounded memory.
  static constexpr size_t kMaxTracked = 65536;

  explicit Defender(DefenderSection settings)
      : settings_(std::move(settings)) {}

  // New settings (SIGHUP). Scores and bans are kept; a ban ends at the time
  // set when it began. Disabling forgets everything.
  void set_settings(DefenderSection settings);
  const DefenderSection& settings() const { return settings_; }

  // When the ban on `address` ends; nullopt when it is not banned (or is in
  // never_ban, or the defender is off).
  std::optional<Clock::time_point> BannedUntil(const Address& address,
                                               Clock::time_point now) const;

  // Adds the offence's points to the score of `address`. Returns the score it
  // reached when this offence began a ban, else nullopt.
  std::optional<int> Add(const Address& address, Offence offence,
                         Clock::time_point now);

  size_t tracked() const { return entries_.size(); }

  // A ban in force: what is banned ("192.0.2.7", or an IPv6 /64 as
  // "2001:db8::/64"), the score that began it and when it ends.
  struct Ban {
    std::string address;
    int score = 0;
    Clock::time_point until{};
  };
  // The bans in force at `now`, soonest to end first (none when disabled).
  std::vector<Ban> Bans(Clock::time_point now) const;

  // Lifts the ban on `address` (for IPv6, on its /64) and forgets its score.
  // False when it is not banned at `now`.
  bool Unban(const Address& address, Clock::time_point now);

 private:
  // An IPv4 address, or the /64 of an IPv6 one.
  using Key = std::array<uint8_t, 16>;
  struct Entry {
    int score = 0;
    Clock::time_point drained{};       // the score is drained up to here
    Clock::time_point banned_until{};  // in the past: not banned
    int ban_score = 0;                 // the score that began the ban
  };
  static Key KeyOf(const Address& address);
  bool NeverBan(const Address& address) const;
  int Points(Offence offence) const;
  // Drains e's score up to `now`: one point per observation_time /
  // threshold, whole points only, so the points of a burst count in full.
  void Drain(Entry& e, Clock::time_point now) const;
  // Makes room for one more entry.
  void Evict(Clock::time_point now);

  DefenderSection settings_;
  std::map<Key, Entry> entries_;
};

}  // namespace sftpd

#endif  // SFTPD_SFTPD_DAEMON_DEFENDER_H_

// What repeated refusals may cost the audit trail. An AuditLimiter holds a
// token bucket per kind of event (op, result, rule, detail, and for drops
// before key exchange the source address) and one for all kinds together:
// an event is written while both have a token; past them it is counted, and
// one summary line per kind ("repeated": N) carries the count when the
// kind's window ends or the session does. Nothing is lost: every event is a
// line of its own or part of a count. Memory is bounded by the budget's
// max_kinds. Time is passed in, so tests need no clock. Not thread-safe: one
// limiter per session (the --stdio process, or the listener's end of a
// daemon session's relay) and one for the listener's drops.
#ifndef SFTPD_SFTPD_AUDIT_LIMIT_H_
#define SFTPD_SFTPD_AUDIT_LIMIT_H_

#include <chrono>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sftpd/audit/audit.h"
#include "sftpd/base/limits.h"

namespace sftpd {

using AuditClock = std::chrono::steady_clock;

struct AuditBudget {
  int burst = 1;                  // lines of one kind written at once
  AuditClock::duration refill{};  // one more per refill, up to burst
  int total_burst = 1;            // lines of all kinds at once
  AuditClock::duration total_refill{};
  AuditClock::duration window{};  // a count is summed up at most this late
  size_t max_kinds = 1;           // kinds counted apart
};

// A session's refusals and failures (limits.h).
inline constexpr AuditBudget kSessionAuditBudget{
    .burst = kAuditBurst,
    .refill = std::chrono::seconds(kAuditRefillSeconds),
    .total_burst = kAuditSessionBurst,
    .total_refill = std::chrono::milliseconds(kAuditSessionRefillMillis),
    .window = std::chrono::seconds(kAuditWindowSeconds),
    .max_kinds = kAuditMaxKinds};
// The listener's drops before key exchange, a kind per source and rule.
inline constexpr AuditBudget kDropAuditBudget{
    .burst = kDropBurst,
    .refill = std::chrono::seconds(kDropRefillSeconds),
    .total_burst = kDropAllBurst,
    .total_refill = std::chrono::milliseconds(kDropAllRefillMillis),
    .window = std::chrono::seconds(kAuditWindowSeconds),
    .max_kinds = kDropMaxSources};

// Bytes kept of each string of a kind: enough for every op, result, rule
// and detail the server writes, and an address; a longer string (sent by a
// hostile session process) is cut, so a kind costs bounded memory.
inline constexpr size_t kMaxKindField = 64;

// What makes two events "the same": the path is not part of it.
struct AuditKind {
  std::string address{};  // drops before key exchange: the source; else ""
  std::string op{}, result{}, rule{}, detail{};

  // The kind of `event`, each string cut to kMaxKindField bytes.
  static AuditKind Of(const AuditEvent& event, std::string_view address = {});
  auto operator<=>(const AuditKind&) const = default;
};

// Where counts go while max_kinds other kinds are busy.
AuditKind OtherKinds();

class AuditLimiter {
 public:
  explicit AuditLimiter(const AuditBudget& budget) : budget_(budget) {}

  // Whether to write an event of `kind` now (a token of its kind and one of
  // the total are spent); false: it is counted, for a summary.
  bool Admit(const AuditKind& kind, AuditClock::time_point now);

  struct Summary {
    AuditKind kind;
    uint64_t count = 0;  // events counted and not written
  };
  // The counts of kinds whose window (from the first event counted) ended
  // by `now`, or every count with `all` (a session's end); each count taken
  // starts again from 0. Kinds idle again (nothing counted, bucket full)
  // are forgotten.
  std::vector<Summary> Take(AuditClock::time_point now, bool all = false);

  // Kinds tracked now; never more than the budget's max_kinds.
  size_t kinds() const { return kinds_.size(); }
  // Events counted and not yet taken.
  uint64_t pending() const;

 private:
  struct Bucket {
    int tokens = 0;
    AuditClock::time_point filled{};  // tokens are those of this moment
  };
  struct Count {
    uint64_t events = 0;
    AuditClock::time_point first{};
  };
  struct Entry {
    Bucket bucket{.tokens = -1};  // -1: full, from the first Admit
    Count count{};
  };
  static void Refill(Bucket& b, int burst, AuditClock::duration every,
                     AuditClock::time_point now);
  static void Add(Count& c, AuditClock::time_point now);
  bool Idle(const Entry& e, AuditClock::time_point now) const;

  AuditBudget budget_;
  std::map<AuditKind, Entry> kinds_;
  Bucket total_{.tokens = -1};  // -1: full, from the first Admit
  Count other_;                 // of kinds past max_kinds
};

// Events whose result is not "ok" are limited; every success is written.
bool Limited(const AuditEvent& event);

// The line standing for `summary`; its strings view summary.kind.
AuditEvent SummaryEvent(const AuditLimiter::Summary& summary);

// Passes `event` through `limiter`: calls `write` with each line to write
// now, in order: the summaries due (every one before a "logout"), then the
// event itself unless it was counted.
void LimitEvent(AuditLimiter& limiter, const AuditEvent& event,
                AuditClock::time_point now,
                const std::function<void(const AuditEvent&)>& write);

// The admin's log line for an event a front door writes, when it is a
// request the engine could not parse or does not serve (rule kRuleMalformed
// or kRuleUnsupported) or the summary of such requests: "session S: refused
// a malformed request: OPEN: the packet ends inside the path", "session S:
// refused 9990 more like it: ..."; nullopt for every other event. Given the
// events a limiter let through, the lines are bounded as the audit lines
// are. The detail is the client's doing: the line goes out through Say
// (log_line.h), which escapes it; it is cut to kMaxShownDetail bytes here.
std::optional<std::string> RefusalLogLine(std::string_view session,
                                          const AuditEvent& event);
inline constexpr size_t kMaxShownDetail = 512;

// The --stdio session's sink: limits what it passes on to `inner` (kept
// open by the caller) with kSessionAuditBudget, or `budget` for tests.
class LimitedAudit final : public AuditSink {
 public:
  using Now = std::function<AuditClock::time_point()>;
  explicit LimitedAudit(AuditSink& inner,
                        const AuditBudget& budget = kSessionAuditBudget,
                        Now now = AuditClock::now)
      : inner_(inner), limiter_(budget), now_(std::move(now)) {}

  void Record(const AuditEvent& event) override;
  bool Refusing() override { return inner_.Refusing(); }

 private:
  AuditSink& inner_;
  AuditLimiter limiter_;
  Now now_;
};

}  // namespace sftpd

#endif  // SFTPD_SFTPD_AUDIT_LIMIT_H_

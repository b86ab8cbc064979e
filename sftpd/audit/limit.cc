#include "sftpd/audit/limit.h"

#include <iterator>
#include <utility>

namespace sftpd {

namespace {

std::string Cut(std::string_view s) {
  return std::string(s.substr(0, kMaxKindField));
}

}  // namespace

AuditKind AuditKind::Of(const AuditEvent& event, std::string_view address) {
  return {.address = Cut(address),
          .op = Cut(event.op),
          .result = Cut(event.result),
          .rule = Cut(event.rule),
          .detail = Cut(event.detail)};
}

AuditKind OtherKinds() {
  return {.op = "refused",
          .result = "refused",
          .detail = "events of kinds not counted apart"};
}

void AuditLimiter::Refill(Bucket& b, int burst, AuditClock::duration every,
                          AuditClock::time_point now) {
  if (b.tokens < 0 || b.tokens >= burst || every <= every.zero()) {
    b.tokens = burst;
    b.filled = now;
    return;
  }
  if (now <= b.filled) return;
  // Whole tokens only, and the time of the part not yet earned is kept.
  const auto earned = (now - b.filled) / every;
  if (earned <= 0) return;
  if (earned >= burst - b.tokens) {
    b.tokens = burst;
    b.filled = now;
  } else {
    b.tokens += int(earned);
    b.filled += earned * every;
  }
}

void AuditLimiter::Add(Count& c, AuditClock::time_point now) {
  if (c.events == 0) c.first = now;
  ++c.events;
}

bool AuditLimiter::Idle(const Entry& e, AuditClock::time_point now) const {
  if (e.count.events > 0) return false;
  Bucket b = e.bucket;
  Refill(b, budget_.burst, budget_.refill, now);
  return b.tokens >= budget_.burst;
}

bool AuditLimiter::Admit(const AuditKind& kind, AuditClock::time_point now) {
  Refill(total_, budget_.total_burst, budget_.total_refill, now);
  auto it = kinds_.find(kind);
  if (it == kinds_.end()) {
    if (kinds_.size() >= budget_.max_kinds) {
      std::erase_if(kinds_, [&](auto& kv) { return Idle(kv.second, now); });
    }
    if (kinds_.size() >= budget_.max_kinds) {
      Add(other_, now);
      return false;
    }
    it = kinds_.emplace(kind, Entry{}).first;
  }
  Entry& e = it->second;
  Refill(e.bucket, budget_.burst, budget_.refill, now);
  if (e.bucket.tokens > 0 && total_.tokens > 0) {
    --e.bucket.tokens;
    --total_.tokens;
    return true;
  }
  Add(e.count, now);
  return false;
}

std::vector<AuditLimiter::Summary> AuditLimiter::Take(
    AuditClock::time_point now, bool all) {
  std::vector<Summary> out;
  auto due = [&](const Count& c) {
    return c.events > 0 && (all || now - c.first >= budget_.window);
  };
  for (auto it = kinds_.begin(); it != kinds_.end();) {
    Entry& e = it->second;
    if (due(e.count)) {
      out.push_back({it->first, e.count.events});
      e.count = {};
    }
    it = Idle(e, now) ? kinds_.erase(it) : std::next(it);
  }
  if (due(other_)) {
    out.push_back({OtherKinds(), other_.events});
    other_ = {};
  }
  return out;
}

uint64_t AuditLimiter::pending() const {
  uint64_t n = other_.events;
  for (const auto& [kind, e] : kinds_) n += e.count.events;
  return n;
}

bool Limited(const AuditEvent& event) {
  return !event.result.empty() && event.result != "ok";
}

AuditEvent SummaryEvent(const AuditLimiter::Summary& summary) {
  const AuditKind& k = summary.kind;
  return {.op = k.op,
          .result = k.result,
          .rule = k.rule,
          .detail = k.detail,
          .repeated = summary.count};
}

void LimitEvent(AuditLimiter& limiter, const AuditEvent& event,
                AuditClock::time_point now,
                const std::function<void(const AuditEvent&)>& write) {
  const bool admitted =
      !Limited(event) || limiter.Admit(AuditKind::Of(event), now);
  for (const AuditLimiter::Summary& s :
       limiter.Take(now, /*all=*/event.op == "logout")) {
    write(SummaryEvent(s));
  }
  if (admitted) write(event);
}

std::optional<std::string> RefusalLogLine(std::string_view session,
                                          const AuditEvent& event) {
  const bool malformed = event.rule == kRuleMalformed;
  if (!malformed && event.rule != kRuleUnsupported) return std::nullopt;
  std::string line = "session " + std::string(session) + ": refused ";
  if (event.repeated > 0) {
    line += std::to_string(event.repeated) + " more like it";
  } else {
    line += malformed ? "a malformed request" : "an unsupported request";
  }
  return line + ": " + std::string(event.detail.substr(0, kMaxShownDetail));
}

void LimitedAudit::Record(const AuditEvent& event) {
  LimitEvent(limiter_, event, now_(),
             [this](const AuditEvent& e) { inner_.Record(e); });
}

}  // namespace sftpd

// Reading the audit trail back: one JSON line (as FormatAuditEvent writes
// it) parsed into an AuditRecord, and the times `sftpd audit` takes on its
// command line. Plain functions and values; thread-safe.
#ifndef SFTPD_SFTPD_AUDIT_RECORD_H_
#define SFTPD_SFTPD_AUDIT_RECORD_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/result.h"

namespace sftpd {

// One event read back. Strings are unescaped: \uXXXX as UTF-8, except that
// \u0080..\u00ff stand for the raw byte (the writer escapes each byte of an
// invalid UTF-8 sequence so). Members a line leaves out keep these defaults.
// Parsing into the same record again reuses its strings' storage.
struct AuditRecord {
  int64_t time_us = 0;  // µs since the epoch, UTC
  std::string time;     // as written, RFC 3339
  std::string session, user, address, op, path, target, result, rule, detail;
  std::string method, key;  // a login's authentication method and key
  int64_t uid = -1;
  int64_t port = 0;
  int64_t bytes_read = -1;  // -1: not on this line
  int64_t bytes_written = -1;
  // A summary line: this many more events like it were counted, not written
  // one by one (audit/limit.h); 0 on every other line.
  int64_t repeated = 0;
  // The members the writer cut to kMaxAuditField, comma-separated
  // ("path,detail"); empty when none was.
  std::string cut;
};

// Parses `line` (one JSON object of string and integer members, no newline)
// into *out. It must have "time" (RFC 3339) and "op"; unknown members are
// ignored. Returns why not, for a corrupt line (*out is then partly set).
Result<void> ParseAuditLine(std::string_view line, AuditRecord* out);

// "2026-11-23T14:36:04.123456Z", "2026-11-23T16:36:04+02:00",
// "2026-11-23 14:36:04Z" or a date "2026-11-23" (midnight UTC), to µs since
// the epoch; nullopt for anything else.
std::optional<int64_t> ParseRfc3339(std::string_view text);

// A moment for --since/--until: RFC 3339 as above, or a span back from
// `now_us`: a number and s, m, h, d or w ("90m", "2h", "7d").
Result<int64_t> ParseMoment(std::string_view text, int64_t now_us);

// Spaces in a row that TerminalSafe keeps as they are; a longer run is
// shown as its count.
inline constexpr size_t kMaxShownSpaces = 3;

// `s` safe to print on a terminal, where nothing in it may reorder, hide or
// push aside the text around it (a column of a table): valid UTF-8 is kept
// but for control characters (C0, DEL, C1), each of which becomes '?', as
// does each byte of an invalid sequence; bidi overrides, embeddings,
// isolates and marks (U+202A..U+202E, U+2066..U+2069, U+200E, U+200F,
// U+061C), zero-width characters (U+200B..U+200D, U+2060, U+FEFF) and the
// line and paragraph separators (U+2028, U+2029) are shown by name, as
// "<U+202E>"; a run of more than kMaxShownSpaces spaces is shown as
// "<12 spaces>". So the reader sees that they were there; the exact string
// is in the JSON.
std::string TerminalSafe(std::string_view s);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_AUDIT_RECORD_H_

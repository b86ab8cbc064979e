// `sftpd audit`: reads the audit log and the rotated files beside it
// (plain or gzip-compressed, oldest first) one line at a time, and prints
// the events a query selects as a table, as JSON lines, or summed up per
// user. Memory stays flat however long the trail: a line at a time, and a
// summary keeps one row per user. A corrupt line is reported with its file
// and line number and skipped. Not thread-safe.
#ifndef SFTPD_SFTPD_AUDIT_QUERY_H_
#define SFTPD_SFTPD_AUDIT_QUERY_H_

#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/cidr.h"
#include "config/result.h"
#include "sftpd/audit/record.h"

namespace sftpd {

// kTable: a header, then a row per event (time, session, user, address, op,
// path, result). kJson: the selected lines as they are. kSummary: a table
// with a row per user. kSummaryJson: the same rows as JSON objects, one a
// line: {"user":..,"sessions":..,"files_read":..,"files_written":..,
// "bytes_read":..,"bytes_written":..,"refusals":..}.
enum class AuditOutput { kTable, kJson, kSummary, kSummaryJson };

// What to select; every filter that is set must hold.
struct AuditQuery {
  std::vector<std::string> files;        // --file: read these instead
  std::optional<std::string> user;       // --user: exactly this name
  std::optional<std::string> path_glob;  // --path: fnmatch(3) on the path
                                         // or the target; '*' matches '/'
  std::vector<std::string> ops;          // --op: classes or op names
  std::optional<int64_t> since_us;       // --since: at or after
  std::optional<int64_t> until_us;       // --until: before
  std::optional<Cidr> from;              // --from: the client's address
  AuditOutput output = AuditOutput::kTable;
  bool help = false;  // --help
};

// The classes --op takes besides op names, and what each selects.
struct OpClass {
  std::string_view name;
  std::string_view means;
};
std::span<const OpClass> AuditOpClasses();

// Parses the words after `sftpd audit` (without --config and its value).
// Relative times count back from `now_us`. An error says which word is
// wrong and why.
Result<AuditQuery> ParseAuditArgs(std::span<const std::string_view> args,
                                  int64_t now_us);

// Whether `r` is selected.
bool Matches(const AuditQuery& q, const AuditRecord& r);

// The files of the trail at `log`, oldest first: rotations named
// LOG-DATE[.gz] (logrotate's dateext) in date order, then LOG.N[.gz] from
// the highest N down to 1, then LOG itself. Only those that exist.
std::vector<std::string> AuditFiles(const std::string& log);

struct AuditTotals {
  uint64_t lines = 0;                   // read, corrupt ones included
  uint64_t matched = 0;                 // selected
  uint64_t corrupt = 0;                 // reported and skipped
  std::vector<std::string> unreadable;  // files that could not be read
};

// Reads `files` in order and writes what `q` selects to `out`; each corrupt
// line and unreadable file is reported on `err` (FILE:LINE: reason).
AuditTotals RunAuditQuery(const AuditQuery& q,
                          const std::vector<std::string>& files, FILE* out,
                          FILE* err);

// The text of `sftpd audit --help`.
std::string AuditUsage();

}  // namespace sftpd

#endif  // SFTPD_SFTPD_AUDIT_QUERY_H_

// What `sftpd status`, `reload`, `bans` and `unban` learn from the daemon
// through its control socket (control.h), and those four commands. The
// listener answers with "KEY VALUE" lines (FormatStatus); the client reads
// them back (ParseStatus) and prints a summary or, with --json, JSON. Plain
// values and functions; not thread-safe.
#ifndef SFTPD_SFTPD_CONTROL_DAEMON_STATUS_H_
#define SFTPD_SFTPD_CONTROL_DAEMON_STATUS_H_

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/cidr.h"
#include "config/result.h"

namespace sftpd {

// The daemon's last attempt to reread its config (SIGHUP or `sftpd reload`).
struct ReloadRecord {
  uint64_t count = 0;   // attempts since the daemon started; 0: none yet
  int64_t time_us = 0;  // when it ended, µs since the epoch
  bool ok = false;      // the new config was taken
  // Why not: each config error as file:line:col: key: reason, or another
  // reason (a host key it cannot read).
  std::vector<std::string> errors;
};

// A defender ban in force: an IPv4 address or an IPv6 prefix
// ("2001:db8::/64").
struct BanEntry {
  std::string address;
  int score = 0;
  int64_t seconds_left = 0;
};

struct DaemonStatus {
  int64_t pid = 0;
  std::string config;     // the config file, as `serve --config` named it
  int64_t loaded_us = 0;  // when the config in use was loaded
  std::vector<std::string> listen;
  uint64_t sessions = 0;     // logged in
  uint64_t connections = 0;  // every connection, logged in or not
  std::string pid_file;      // "" when there is none
  ReloadRecord reload;
  std::vector<BanEntry> bans;
};

// The answer lines, each ending in '\n'; control characters in values
// become '?', so each value stays on its line.
std::string FormatStatus(const DaemonStatus& s);
// One ban's line, as `bans` and `status` answer it.
std::string FormatBan(const BanEntry& b);
// Reads FormatStatus's lines (or the ban lines alone); an error names the
// first line it cannot read. Unknown keys are skipped (a newer daemon).
Result<DaemonStatus> ParseStatus(const std::vector<std::string>& lines);

// What an `unban` names: an address (a /32 or /128), or a CIDR block
// ("2001:db8::/48", as `bans` prints a prefix), host bits clear; nullopt
// for anything else.
std::optional<Cidr> ParseBanTarget(std::string_view text);

// The client commands against the daemon at control socket `path`; output
// to `out`, errors to `err`. Each returns its exit status: 0, or 1 when the
// daemon cannot be asked, a reload was refused (the errors are printed) or
// there is no such ban; 2 for an unban target that is not an address or
// a CIDR block.
int PrintStatus(const std::string& path, bool json, FILE* out, FILE* err);
int Reload(const std::string& path, FILE* out, FILE* err);
int PrintBans(const std::string& path, bool json, FILE* out, FILE* err);
int Unban(const std::string& path, const std::string& target, FILE* out,
          FILE* err);

// How long `sftpd reload` waits for the daemon to finish its attempt.
inline constexpr int kReloadTimeoutMillis = 30000;

}  // namespace sftpd

#endif  // SFTPD_SFTPD_CONTROL_DAEMON_STATUS_H_

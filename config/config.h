// Config: /etc/sftpd/sftpd.toml parsed once into an immutable, validated value.
// LoadConfig() owns all TOML handling (toml++ exceptions never leave
// config/); every error names file, line, column and key. Values are plain
// data, safe to share between threads once loaded.
#ifndef SFTPD_CONFIG_CONFIG_H_
#define SFTPD_CONFIG_CONFIG_H_

#include <sys/types.h>

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/cidr.h"
#include "config/result.h"

namespace sftpd {

inline constexpr const char* kDefaultConfigPath = "/etc/sftpd/sftpd.toml";

enum class Access { kReadWrite, kReadOnly };

// [exports.NAME]
struct Export {
  std::string name;  // the top-level directory the client sees
  std::string path;  // absolute; may hold %u (user) and %h (home)
  Access access = Access::kReadWrite;
  bool owner_only = false;  // only entries owned by the session's uid
  mode_t umask = 022;       // applied to everything created in it
  // An upload (an OPEN that replaces a file's whole content) is written
  // under a temporary name and takes the final one only at its CLOSE.
  bool atomic_uploads = false;
  // A group share: everything created in the export belongs to this Unix
  // group and is group-readable and -writable (directories also group-
  // searchable and setgid), whatever mode the client sends. Empty: none.
  std::string group;
  gid_t group_id = static_cast<gid_t>(-1);  // `group` resolved at load
  int line = 0;  // where the table starts, for messages
};

// [users.NAME] or [groups.NAME]: who gets which exports, from where.
struct Grant {
  std::string name;
  std::vector<std::string> exports;  // names of [exports.*], all known
  std::vector<Cidr> allow_from;      // empty: any address
  int line = 0;
};

// SSH algorithm names [server] may list, in the default order of preference.
// Anything else (CBC modes, SHA-1 MACs and key exchanges, ssh-rsa, ssh-dss,
// ...) is refused when the config is loaded, so the daemon can pass the lists
// to the SSH library as they are.
inline constexpr std::array<std::string_view, 5> kAllowedKex = {
    "curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384", "ecdh-sha2-nistp521"};
// The NIST curves are allowed for old clients but not offered unless listed.
inline constexpr std::array<std::string_view, 2> kDefaultKex = {
    "curve25519-sha256", "curve25519-sha256@libssh.org"};
inline constexpr std::array<std::string_view, 6> kAllowedCiphers = {
    "chacha20-poly1305@openssh.com",
    "aes256-gcm@openssh.com",
    "aes128-gcm@openssh.com",
    "aes256-ctr",
    "aes192-ctr",
    "aes128-ctr"};
inline constexpr std::array<std::string_view, 4> kAllowedMacs = {
    "hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com",
    "hmac-sha2-256", "hmac-sha2-512"};
inline constexpr std::array<std::string_view, 6> kAllowedHostKeyAlgorithms = {
    "ssh-ed25519",         "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp256", "rsa-sha2-512",        "rsa-sha2-256"};

struct ServerSection {
  std::vector<std::string> listen = {"0.0.0.0:22", "[::]:22"};
  std::vector<std::string> host_keys = {"/etc/sftpd/ssh_host_ed25519_key"};
  // Balancers (HAProxy's send-proxy-v2) whose connections start with a
  // PROXY protocol header naming the client they relay for: the address
  // used for allow_from, the defender, limits and the audit trail. A
  // connection from here without a valid header is dropped; a header from
  // anywhere else is refused. Empty: no balancer.
  std::vector<Cidr> proxy_from;
  // The root-only socket `sftpd sessions`, `kick`, `status`, `reload`,
  // `bans` and `unban` ask, beside the daemon's pid file; "": none.
  std::string control_socket = "/run/sftpd/control.sock";
  // Connections not yet authenticated at once; more are dropped before key
  // exchange (an unauthenticated peer must not hold many processes). As
  // OpenSSH's MaxStartups start:rate:full ("begin:rate:max_startups" in the
  // file): from max_startups_begin on, a new one is also dropped with a
  // probability rising linearly from max_startups_rate % to 100 % at
  // max_startups. An integer N in the file is N:100:N, a plain cap.
  // REQUIRES (as loaded): 1 <= begin <= max_startups, 1 <= rate <= 100.
  int max_startups = 10;
  int max_startups_begin = 10;
  int max_startups_rate = 100;
  // Of those, from one client address: one peer cannot take them all.
  int max_startups_per_address = 3;
  int max_connections = 256;             // all connections at once
  int max_connections_per_address = 16;  // from one peer address
  int max_sessions_per_user = 16;        // authenticated, per user name
  // SFTP "session" channels open at once on one connection, as OpenSSH's
  // MaxSessions: each serves its own SFTP session.
  int max_channels_per_connection = 10;
  // Seconds a session may go without a request before it is ended (both
  // front doors); 0: never.
  int idle_timeout = 0;
  // Offered in this order; each a non-empty, duplicate-free subset of the
  // matching kAllowed* list.
  std::vector<std::string> kex =
      std::vector<std::string>(kDefaultKex.begin(), kDefaultKex.end());
  std::vector<std::string> ciphers =
      std::vector<std::string>(kAllowedCiphers.begin(), kAllowedCiphers.end());
  std::vector<std::string> macs =
      std::vector<std::string>(kAllowedMacs.begin(), kAllowedMacs.end());
  std::vector<std::string> host_key_algorithms = std::vector<std::string>(
      kAllowedHostKeyAlgorithms.begin(), kAllowedHostKeyAlgorithms.end());
  bool operator==(const ServerSection&) const = default;
};

struct AuthSection {
  std::vector<std::string> methods = {"publickey", "password"};
  std::vector<std::string> authorized_keys = {"%h/.ssh/authorized_keys",
                                              "/etc/sftpd/authorized_keys/%u"};
  int login_grace_time = 60;  // seconds from connect to authenticated
  int max_tries = 6;          // failed authentication attempts per connection
  bool operator==(const AuthSection&) const = default;
};

// What a server does while its audit file cannot be written (disk full):
// go on (each unwritten line goes to syslog and stderr instead), or refuse
// every file operation until a line can be written again.
enum class AuditFailure { kContinue, kRefuse };

struct AuditSection {
  std::string log{};   // JSON-lines file; empty: syslog only
  bool syslog = true;  // also (or only) to syslog, facility AUTHPRIV
  AuditFailure on_failure = AuditFailure::kContinue;
  bool operator==(const AuditSection&) const = default;
};

// [defender]: the daemon's brute-force defence. Each client network (an
// IPv4 address; an IPv6 address by its `ipv6_prefix`, /64 by default, which
// one host usually holds whole) has a score; each offence adds its points,
// and the score drains by `threshold` points per `observation_time`. A
// network whose score reaches `threshold` is banned: its connections are
// closed before key exchange for `ban_time` seconds. Each IPv6
// `ipv6_wide_prefix` counts the networks in it that begin to offend (each at
// most once per `observation_time`; the count drains by `ipv6_wide_networks`
// per `observation_time`); at `ipv6_wide_networks` the wide prefix is banned
// too, so rotating through the /64s of a /48 does not evade the score.
struct DefenderSection {
  bool enabled = true;
  int threshold = 15;
  int observation_time = 600;  // seconds over which `threshold` points drain
  int ban_time = 1800;         // seconds
  int score_failed_login = 1;  // a wrong key or password for a known user
  int score_invalid_user = 2;  // a name that may not log in (unknown, ...),
                               // or an address outside every allow_from
  int score_no_auth = 2;       // ended without trying to log in, or timed out
  int score_over_limit = 3;    // dropped over a connection limit, or over
                               // max_sessions_per_user
  int ipv6_prefix = 64;        // 32..128: an IPv6 client's network
  int ipv6_wide_prefix = 48;   // 32..ipv6_prefix
  int ipv6_wide_networks = 8;  // 0: no wide bans; else 2..10000
  std::vector<Cidr> never_ban;
  bool operator==(const DefenderSection&) const = default;
};

// What `sftpd policy apparmor` generates besides the rules themselves.
struct PolicySection {
  bool audit_writes = false;  // prefix the hats' write rules with `audit`
  bool operator==(const PolicySection&) const = default;
};

struct Config {
  std::string source;  // the file it was read from
  ServerSection server;
  AuthSection auth;
  AuditSection audit;
  DefenderSection defender;
  PolicySection policy;
  std::vector<Export> exports;  // in file order
  std::vector<Grant> users;
  std::vector<Grant> groups;

  // nullptr when there is no export of that name.
  const Export* FindExport(std::string_view name) const;
};

struct ConfigError {
  std::string file;
  int line = 0;     // 1-based; 0 when the error is about the whole file
  int column = 0;   // 1-based; 0 when unknown
  std::string key;  // dotted, e.g. "exports.home.access"; may be empty
  std::string message;

  // "file:line:col: key: message" (parts that are unknown are left out).
  std::string ToString() const;
};

// Exactly one of config / errors is set: config on success, otherwise every
// error found (not only the first).
struct LoadResult {
  std::optional<Config> config;
  std::vector<ConfigError> errors;
};

// Reads and validates `path`. Besides parsing, checks the file itself: it must
// not be writable by anyone but root (group/other write bits, or an owner other
// than root), whoever the caller is; export paths must be absolute and their
// fixed part (up to the first component holding %u or %h) must exist.
LoadResult LoadConfig(const std::string& path);

// The [server] control_socket that the config file at `path` names, read
// leniently, for the tools that ask a running daemon while its file may be
// broken (`sftpd reload` after an edit): the value when the file parses as
// TOML and holds it as a string, else the default; an error when the file
// cannot be read. Checks nothing else.
Result<std::string> ControlSocketOf(const std::string& path);

// Same validation on text already in memory; `source` names it in errors. The
// file-permission check is skipped (there is no file).
LoadResult ParseConfig(std::string_view text, const std::string& source);

// Every key a config may hold, dotted: "server.listen", ...,
// "exports.NAME.path", "users.NAME.exports", "groups.NAME.allow_from".
std::vector<std::string> ConfigKeys();

// A short multi-line summary for `sftpd check-config`: counts and names of
// exports (with path, access, owner_only), users and groups.
std::string Describe(const Config& config);

// What one user may do. Each table that names the user ([users.USER], and
// [groups.G] for every Unix group G of the user, primary included: `groups`
// are their names) grants its exports from its own addresses: a session from
// an address gets the exports of the tables whose allow_from admits that
// address (no allow_from: any address), and nothing from the others.
struct Rights {
  // Whether some table names the user or one of its groups; a user without
  // one must be refused.
  bool found = false;
  // Every table that names the user, [users] first, then [groups] in config
  // order, whatever the address.
  std::vector<const Grant*> tables;
  std::vector<std::string> table_names;  // "users.bob", "groups.team"
  // The exports of the tables that count (all of `tables`, or those that
  // admit the address RightsFor was given), deduplicated, in table order;
  // granted_by[i] names the first table that granted exports[i].
  std::vector<const Export*> exports;
  std::vector<std::string> granted_by;
  // The addresses some table of `tables` admits: the user's sessions are
  // refused from any other.
  bool any_address = false;  // some table had no allow_from
  std::vector<Cidr> allow_from;

  bool Allows(const Address& peer) const;
};
// Every table's exports: what the user may get from some address.
Rights RightsFor(const Config& config, std::string_view user,
                 std::span<const std::string> groups);
// Only the exports of the tables that admit `from`; `tables`, `found`,
// `any_address` and `allow_from` are as above.
Rights RightsFor(const Config& config, std::string_view user,
                 std::span<const std::string> groups, const Address& from);

// "0755": a mode's permission bits as an admin writes them (chmod's octal).
std::string OctalMode(mode_t mode);

// Expands %u and %h (and %% to %) in an export path. An error says why not:
// the result is not absolute or has a "." or ".." component, the user name
// is empty, "." or "..", or holds a '/' or NUL, the home holds a NUL, %h is
// used with an empty home, or an escape is unknown (a user name or home
// cannot steer the path out).
Result<std::string> ExpandPath(std::string_view pattern, std::string_view user,
                               std::string_view home);

// The leading directories of an export path that hold no %u or %h, with
// %% undone ("/srv/home" for "/srv/home/%u", the path itself when it has no
// escape); "" when it starts at %h or is not a valid pattern.
std::string FixedDirectory(std::string_view pattern);

// The directory that holds the host path PATH: "/" for "/x", "." for a name
// without a slash.
std::string ParentDir(std::string_view path);

}  // namespace sftpd

#endif  // SFTPD_CONFIG_CONFIG_H_

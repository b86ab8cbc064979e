// Authorized keys for the daemon: the files named by [auth] authorized_keys,
// read only after StrictModes-like checks, and the public keys in them with
// the key options (from=, expiry-time=, ...) this server can honour.
// AuthorizedKeys owns its ssh_key values; the caller keeps ownership of keys
// it passes in. Thread-compatible.
#ifndef SFTPD_SFTPD_DAEMON_AUTHORIZED_KEYS_H_
#define SFTPD_SFTPD_DAEMON_AUTHORIZED_KEYS_H_

#include <libssh/libssh.h>
#include <sys/types.h>

#include <cstdint>
#include <ctime>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/cidr.h"
#include "config/result.h"

namespace sftpd {

// Reads the authorized_keys file at `path` for the user `uid` (primary group
// `gid`), with her filesystem identity (so root's rights never open a file
// she could not read) and after checking that nobody else could have
// written it: walked from "/" by OpenHostPath, so no symlink but root's is
// followed, the file is a regular file, and it and every directory above it
// are owned by root or `uid` and not group- or other-writable. A root-owned
// sticky directory (/tmp) is accepted despite its write bits: entries in it
// can only be replaced by their owners, and those were checked.
// Errors: the file does not exist (message starts with "absent: "), a check
// failed (names the path and the rule), the file is larger than 1 MiB, or it
// cannot be read.
Result<std::string> ReadAuthorizedKeysFile(const std::string& path, uid_t uid,
                                           gid_t gid);

// A SHA-256 digest as OpenSSH prints a key's fingerprint (ssh-keygen -l,
// sshd's "Accepted publickey" line): "SHA256:" and the digest in base64
// without its '=' padding.
std::string Sha256Fingerprint(std::span<const uint8_t> digest);

// The name sshd's log lines give a key type ("ssh-ed25519" -> "ED25519",
// "ssh-rsa" -> "RSA", "ecdsa-sha2-nistp256" -> "ECDSA", the sk- types
// "ED25519-SK" and "ECDSA-SK"); a type it does not know, upper-cased.
std::string SshdKeyTypeName(std::string_view ssh_type);

// "ED25519 SHA256:...": a public key as sshd and ssh-keygen -l name it;
// "" when libssh cannot hash it.
std::string DescribeKey(const ssh_key key);

// A line of an authorized_keys text that grants nothing, and why.
struct SkippedLine {
  int line = 0;        // 1-based
  std::string reason;  // printable, bounded; names the option at fault by
                       // its name in this server's table or its column,
                       // never by the file's text
};

// What AuthorizedKeys::Accepts decided about one offered key.
struct KeyDecision {
  bool granted = false;
  // The granting line; when refused, the last line that listed the key but
  // whose options refused it (empty origin when no line listed the key).
  std::string origin;
  int line = 0;
  std::string refusal;  // when a line listed the key: why it did not grant
  explicit operator bool() const { return granted; }
};

// The keys of authorized_keys texts, each with its options.
//
// A line is "[options] keytype base64 [comment]" as in sshd(8). Options are
// comma-separated, names case-insensitive; a value is double-quoted and may
// hold commas, spaces and \" (a quote). This server serves only SFTP (no
// shell, command, pty or forwarding), so:
//  - from="pattern-list": the key grants only to a client whose address
//    matches. Patterns are comma-separated; each is an address or CIDR block
//    (IPv4 or IPv6; an IPv4-mapped IPv6 peer counts as IPv4), or a pattern
//    with * and ? matched against the address's text (dotted quad, or RFC 5952
//    IPv6), or either negated with a leading !. A negated match refuses the
//    key whatever else matches; otherwise one positive match is needed. No DNS
//    is done: a host-name pattern can only match when it matches the address
//    text (as sshd with UseDNS no), so a positive one never matches, and a
//    negated one cannot be honoured and makes the line skipped. Several from=
//    options must all match.
//  - expiry-time="YYYYMMDD[HHMM[SS]][Z]": the key grants until that second
//    inclusive. With Z the time is UTC; without, it is the server's local
//    time zone (TZ, /etc/localtime) as sshd reads it. Several: the earliest.
//  - restrict, no-pty, no-port-forwarding, no-agent-forwarding,
//    no-X11-forwarding, no-user-rc, no-touch-required: accepted; they forbid
//    what this server never offers. Their positive forms (pty,
//    port-forwarding, agent-forwarding, X11-forwarding, user-rc) and
//    permitopen=, permitlisten=, environment=, tunnel= are accepted and
//    ignored: they only shape forwarding, tunnels and the environment, which
//    this server refuses or never sets.
//  - command= (a forced command cannot be honoured: the sftp subsystem is all
//    this server runs), principals= and cert-authority (certificates are not
//    supported), any other option and any syntax error: the line is skipped,
//    never granted.
class AuthorizedKeys {
 public:
  AuthorizedKeys();
  ~AuthorizedKeys();
  AuthorizedKeys(AuthorizedKeys&&) noexcept;
  AuthorizedKeys& operator=(AuthorizedKeys&&) = delete;
  AuthorizedKeys(const AuthorizedKeys&) = delete;
  AuthorizedKeys& operator=(const AuthorizedKeys&) = delete;

  // Adds the keys of one file's text; `origin` (the file's path) is kept for
  // KeyDecision. Blank lines and # comments are ignored. Returns the lines
  // that were skipped: options it cannot honour or cannot parse (see above),
  // an unknown key type, or a key that does not parse.
  std::vector<SkippedLine> Add(std::string_view text, std::string_view origin);

  // Whether `key` (its public part) may log in from `peer` at `now`: granted
  // by the first line listing it whose from= and expiry-time= allow it.
  // Refused when no line lists the key, or when every line listing it
  // refuses (then `refusal` says why for the last such line).
  KeyDecision Accepts(const ssh_key key, const Address& peer, time_t now) const;

  // How many lines grant a key (under their options).
  size_t size() const;

 private:
  struct Entry;  // a key, where it came from and its restrictions
  std::vector<Entry> entries_;
};

}  // namespace sftpd

#endif  // SFTPD_SFTPD_DAEMON_AUTHORIZED_KEYS_H_

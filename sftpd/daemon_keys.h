// Authorized keys for the daemon: the files named by [auth] authorized_keys,
// read only after StrictModes-like checks, and the public keys in them.
// Plain functions; the caller owns every returned ssh_key (AuthorizedKeys
// frees them). Thread-compatible.
#ifndef SFTPD_SFTPD_DAEMON_KEYS_H_
#define SFTPD_SFTPD_DAEMON_KEYS_H_

#include <libssh/libssh.h>
#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/result.h"

namespace sftpd {

// Reads the authorized_keys file at `path` for the user `uid`, after checking
// that nobody else could have written it: the file (after symlinks are
// resolved) is a regular file, and it and every directory above it up to /
// are owned by root or `uid` and not group- or other-writable. A root-owned
// sticky directory (/tmp) is accepted despite its write bits: entries in it
// can only be replaced by their owners, and those were checked.
// Errors: the file does not exist (message starts with "absent: "), a check
// failed (names the path and the rule), the file is larger than 1 MiB, or it
// cannot be read.
Result<std::string> ReadAuthorizedKeysFile(const std::string& path, uid_t uid);

// The keys of an authorized_keys text, owning their ssh_key values.
class AuthorizedKeys {
 public:
  AuthorizedKeys() = default;
  ~AuthorizedKeys();
  AuthorizedKeys(AuthorizedKeys&& other) noexcept;
  AuthorizedKeys& operator=(AuthorizedKeys&&) = delete;
  AuthorizedKeys(const AuthorizedKeys&) = delete;
  AuthorizedKeys& operator=(const AuthorizedKeys&) = delete;

  // Adds the keys of one file's text: lines "type base64 [comment]". Blank
  // lines and comments are skipped; so are lines with options in front
  // (from=, restrict, command=...), which this server does not interpret yet
  // and so must not grant; and lines whose key does not parse. Returns how
  // many lines were skipped for options.
  int Add(std::string_view text);
  // True when `key` (public part) equals one of the keys.
  bool Contains(const ssh_key key) const;
  size_t size() const { return keys_.size(); }

 private:
  std::vector<ssh_key> keys_;
};

}  // namespace sftpd

#endif  // SFTPD_SFTPD_DAEMON_KEYS_H_
